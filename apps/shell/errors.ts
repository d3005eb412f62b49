// A command that parsed but failed when it ran: printed as "error: ..." (with usage lines
// when the mistake is the user's).
export class ShellError extends Error {
  constructor(message: string, readonly usages: readonly string[] = []) {
    super(message);
    this.name = 'ShellError';
  }
}
