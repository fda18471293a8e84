// @ts-check
/** The one sentence for a port someone else holds: said by the port check and by the demo server. */

/** @param {{ port: number, what: string, variable: string }} use */
export function portInUseMessage(use) {
  return `Port ${use.port} (${use.what}) is already in use on 127.0.0.1: stop what holds it, or pick another port with ${use.variable}=<port>.`;
}
