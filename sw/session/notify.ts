/** How the broker tells every tab of the origin about a session change. */
import type { BrokerEventType, ErrorDetails, SessionStatus } from '../../protocol/index.js';

/** Tells every tab of the origin about a session change; `session-ended` says why, with what the server said. */
export type Notify = (event: BrokerEventType, status: SessionStatus, reason?: string, details?: ErrorDetails) => void | Promise<void>;
