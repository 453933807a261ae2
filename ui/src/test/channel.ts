// Tauri's IPC channel, for tests: every channel a component makes, to send it messages as the
// Rust side would. Use in a test file:
//   vi.mock("@tauri-apps/api/core", async () => (await import("../test/channel")).core);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const channels: { onmessage: (message: any) => void }[] = [];

export const core = {
  Channel: class {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    onmessage: (message: any) => void = () => {};
    constructor() {
      channels.push(this);
    }
  },
};
