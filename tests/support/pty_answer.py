#!/usr/bin/python3
"""Runs a command on a pseudo-terminal, answers its passphrase prompt, and exits with its exit code.

    pty_answer.py PASSPHRASE_FILE COMMAND [ARG...]

Prints what the command wrote to the terminal. The prompt must come within 60 s."""
import os
import pty
import select
import sys
import time


def main():
    passphrase = open(sys.argv[1], "rb").read().splitlines()[0]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[2], sys.argv[2:])
    seen, answered, deadline = b"", False, time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"Passphrase for" in seen:
            os.write(fd, passphrase + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode("utf-8", "replace"))
    if not answered:
        print("pty_answer: no passphrase prompt seen")
        return 99
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
