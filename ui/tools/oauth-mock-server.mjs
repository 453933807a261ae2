// An independent OAuth 2.0 server, the npm package oauth2-mock-server, on 127.0.0.1 and a port
// the system picks: the connectors' sign-in test (crates/connectors/tests/independent_server.rs)
// runs its loopback + PKCE flow against it. Prints {"issuer":"http://127.0.0.1:PORT"} once
// listening, then serves until its standard input closes.
import { OAuth2Server } from "oauth2-mock-server";

const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");
await server.start(0, "127.0.0.1");
// It names itself "localhost"; the listener is on 127.0.0.1 only, so say that.
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
console.log(JSON.stringify({ issuer: server.issuer.url }));
process.stdin.on("end", () => server.stop().then(() => process.exit(0)));
process.stdin.resume();
