#include "shared/base/progress.h"

#include <unistd.h>

#include <cerrno>

namespace etcdrestore {
namespace {

void WriteStderrAll(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDERR_FILENO, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a display: nothing to do about a broken stderr
    done += static_cast<size_t>(n);
  }
}

}  // namespace

Progress::Progress(bool enabled, std::string label, std::string (*format_bytes)(uint64_t),
                   bool show_rate)
    : enabled_(enabled),
      label_(std::move(label)),
      format_(format_bytes),
      show_rate_(show_rate),
      start_(Clock::now()) {}

void Progress::Update(uint64_t bytes) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  std::string line = "\r\x1b[K" + label_ + ": " + format_(bytes);
  if (show_rate_) {
    const double secs = std::chrono::duration<double>(now - start_).count();
    const uint64_t rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(bytes) / secs) : 0;
    line += " (" + format_(rate) + "/s)";
  }
  WriteStderrAll(line);
  shown_ = true;
}

void Progress::Done() {
  if (shown_) WriteStderrAll("\r\x1b[K");
  shown_ = false;
}

}  // namespace etcdrestore
