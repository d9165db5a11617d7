#ifndef MPOWER_SERVER_DAEMON_STOP_SIGNALS_H_
#define MPOWER_SERVER_DAEMON_STOP_SIGNALS_H_

// SIGINT and SIGTERM (stop) and SIGHUP (reload) handled on a thread of
// their own (arrow flight's manner): blocked in every thread, then waited
// for by one.

#include <functional>

namespace mpower {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread
// it starts afterwards. Call first thing in main, before any thread exists.
void BlockStopSignals();

// Waits until SIGINT or SIGTERM arrives and returns its number, calling
// `on_reload` (if set) for each SIGHUP meanwhile.
// REQUIRES: BlockStopSignals() was called.
int WaitForStopSignal(const std::function<void()>& on_reload = nullptr);

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_STOP_SIGNALS_H_
