/* main.c - entry point placeholder until cli lands. */
int main(void)
{
	return 2;
}
