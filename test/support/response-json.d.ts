// Tests read response bodies as loosely typed JSON; the assertions are what check their shape.
export {};
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
