#!/usr/bin/env python3
"""A tiny SMTP sink for the n8n end-to-end run: it accepts every message on a loopback port and
stores each one as a JSON file ({"mail_from", "rcpt_to", "data"}) in a folder, so the checker can
see which invitation e-mails Rustmost really sent.

Plain SMTP only (no STARTTLS, no AUTH), which is what Rustmost uses when
EmailSettings.ConnectionSecurity is empty and EnableSMTPAuth is false. Written against the
standard library's socketserver because `smtpd` is gone from Python 3.12.

Usage: smtp_sink.py PORT OUT_DIR   (runs until killed; prints "ready" once listening)
"""

import json
import os
import socketserver
import sys
import threading

_counter = 0
_counter_lock = threading.Lock()


class SmtpHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self) -> None:
        out_dir = self.server.out_dir  # type: ignore[attr-defined]
        mail_from, rcpt_to = None, []
        self.reply("220 rustmost-e2e-sink ESMTP ready")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb) :].strip()
            if verb == "EHLO":
                self.wfile.write(b"250-rustmost-e2e-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                self.wfile.flush()
            elif verb == "HELO":
                self.reply("250 rustmost-e2e-sink")
            elif verb == "MAIL":
                mail_from, rcpt_to = _address(arg), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpt_to.append(_address(arg))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    raw = self.rfile.readline(1 << 20)
                    if not raw or raw in (b".\r\n", b".\n"):
                        break
                    # Dot-stuffing (RFC 5321 4.5.2): a leading '.' was doubled by the sender.
                    if raw.startswith(b".."):
                        raw = raw[1:]
                    lines.append(raw)
                global _counter
                with _counter_lock:
                    _counter += 1
                    n = _counter
                msg = {
                    "mail_from": mail_from,
                    "rcpt_to": rcpt_to,
                    "data": b"".join(lines).decode("utf-8", "replace"),
                }
                tmp = os.path.join(out_dir, f".{n:04d}.tmp")
                with open(tmp, "w") as f:
                    json.dump(msg, f)
                os.rename(tmp, os.path.join(out_dir, f"{n:04d}.json"))
                mail_from, rcpt_to = None, []
                self.reply("250 OK: queued")
            elif verb == "RSET":
                mail_from, rcpt_to = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


def _address(arg: str) -> str:
    """`FROM:<a@b> SIZE=1` -> `a@b`."""
    start, end = arg.find("<"), arg.find(">")
    return arg[start + 1 : end] if 0 <= start < end else arg.split(":", 1)[-1].strip()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main() -> None:
    port, out_dir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    with Server(("127.0.0.1", port), SmtpHandler) as srv:
        srv.out_dir = out_dir  # type: ignore[attr-defined]
        print("ready", flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    main()
