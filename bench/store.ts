export async function benchStore(): Promise<void> {
  throw new Error("store benchmark not written yet");
}
