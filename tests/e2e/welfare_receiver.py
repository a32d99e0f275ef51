"""A stand-in for the welfare side's system: an HTTP server that takes webhook deliveries, checks their signature
with the receiving side's code path (signing.verify), and can be told to fail the next requests (to prove the
retries)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.welfare_referral.settings import DEVELOPMENT_WEBHOOK_SECRET
from services.welfare_referral.signing import SignatureError, verify


@dataclass
class Received:
    delivery_id: str
    status: int  # what the receiver answered
    signature_ok: bool
    body: dict[str, Any]
    raw: bytes


@dataclass
class WelfareReceiver:
    secret: bytes = DEVELOPMENT_WEBHOOK_SECRET.encode()
    received: list[Received] = field(default_factory=list)
    failures_left: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    verify(receiver.secret, raw, self.headers.get("Welfare-Signature", ""), now=int(time.time()))
                    ok = True
                except SignatureError:
                    ok = False
                with receiver._lock:
                    if not ok:
                        status = 401
                    elif receiver.failures_left > 0:
                        receiver.failures_left -= 1
                        status = 503
                    else:
                        status = 200
                    receiver.received.append(Received(self.headers.get("Welfare-Delivery-Id", ""), status, ok,
                                                      json.loads(raw or b"{}"), raw))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/referrals"

    def stop(self) -> None:
        self._server.shutdown()

    def for_referral(self, referral_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.body.get("referral_id") == referral_id]
