// Waits for the first of: SIGINT, SIGTERM, a duration running out, or a process exiting by itself.
export type StopReason = 'signal' | 'duration' | 'exited';

export function untilStopped(exited: Promise<unknown>, durationS?: number): Promise<StopReason> {
  return new Promise((resolve) => {
    const finish = (why: StopReason) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearTimeout(timer);
      resolve(why);
    };
    const onSignal = () => finish('signal');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = durationS !== undefined
      ? setTimeout(() => finish('duration'), durationS * 1000)
      : undefined;
    void exited.then(() => finish('exited'));
  });
}
