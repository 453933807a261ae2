// Tauri's IPC channel, for tests: every channel a component makes, to send it messages as the
// Rust side would. Use in a test file:
//   vi.mock("@tauri-apps/api/core", async () => (await import("../test/channel")).core);
export const channels: { onmessage: (n: number) => void }[] = [];

export const core = {
  Channel: class {
    onmessage: (n: number) => void = () => {};
    constructor() {
      channels.push(this);
    }
  },
};
