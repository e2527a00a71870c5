/* Source of the committed ELF fixtures; rebuild them with ./build.sh. */
int counter = 3;
static int hidden_state;
__attribute__((visibility("hidden"))) int hidden_global = 7;
char big_buffer[4096];
__attribute__((weak)) int weak_hook(int x) { return x + 1; }
static int helper(int x) { hidden_state += x; return hidden_state * counter; }
int a_function_with_a_rather_long_name_for_the_string_table(int x) { return helper(x) + weak_hook(x); }
const char *message(void) { return "hello from the fixture"; }
int (*table[2])(int) = { weak_hook, a_function_with_a_rather_long_name_for_the_string_table };
#ifdef WITH_START
void _start(void) {
  counter = table[1](counter) + (int)(long)message() + big_buffer[1];
  for (;;) { }
}
#endif
