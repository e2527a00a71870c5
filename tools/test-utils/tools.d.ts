/** Whether `<tool> --version` runs and exits 0 (the answer is cached per tool). */
export function hasTool(tool: string): boolean;
