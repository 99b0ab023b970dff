// shared/base/progress.h
//
// A one-line byte counter on stderr for long copies (snapshot downloads):
//   "\r\x1b[K<label>: 12.3 MB" or, with show_rate, "\r\x1b[K<label>: 12 MB (45 MB/s)",
// redrawn at most 5 times a second, only when enabled (the callers pass isatty(2): never on
// a pipe or in a log). Done clears the line if anything was shown.
#ifndef ETCDRESTORE_SHARED_BASE_PROGRESS_H_
#define ETCDRESTORE_SHARED_BASE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace etcdrestore {

class Progress {
 public:
  // format_bytes: HumanBytes or HumanizeBytes (shared/base/strings.h).
  Progress(bool enabled, std::string label, std::string (*format_bytes)(uint64_t), bool show_rate);
  void Update(uint64_t bytes);
  void Done();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  std::string label_;
  std::string (*format_)(uint64_t);
  bool show_rate_;
  bool shown_ = false;
  Clock::time_point start_, last_{};
};

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_PROGRESS_H_
