#ifndef MPOWER_SERVER_DAEMON_STOP_SIGNALS_H_
#define MPOWER_SERVER_DAEMON_STOP_SIGNALS_H_

// SIGINT and SIGTERM handled on a thread of their own (arrow flight's
// manner): blocked in every thread, then waited for by one.

namespace mpower {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it
// starts afterwards. Call first thing in main, before any thread exists.
void BlockStopSignals();

// Waits until SIGINT or SIGTERM arrives and returns its number.
// REQUIRES: BlockStopSignals() was called.
int WaitForStopSignal();

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_STOP_SIGNALS_H_
