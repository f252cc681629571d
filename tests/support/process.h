// tests/support/process.h
// A child process with pipes to its stdin and stdout, for driving the doorstep binary
// the way a user or another program would (and killing it with SIGKILL).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace doorstep::testing {

class child_process {
 public:
  // Starts `argv[0]` with the arguments; stderr goes to `stderr_path` (or is inherited).
  explicit child_process(const std::vector<std::string>& argv, const std::string& stderr_path = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // Writes to the child's stdin; false once the child has gone (EPIPE).
  bool write(const std::string& data);
  void close_stdin();
  // Reads one line from the child's stdout; nullopt at end of stream.
  std::optional<std::string> read_line();
  void kill_hard();  // SIGKILL
  // Waits for exit; returns the exit code, or 128 + signal.
  int wait();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs a command to completion; returns its exit code and captured stdout.
struct run_result {
  int code = 0;
  std::string out;
};
run_result run_command(const std::vector<std::string>& argv, const std::string& stdin_text = {});

}  // namespace doorstep::testing
