// The `axvisor` command. Not implemented yet: it arrives with the shell issue.
process.stderr.write('axvisor: not implemented yet\n');
process.exitCode = 1;
