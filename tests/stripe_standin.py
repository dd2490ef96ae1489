"""A thin stand-in for the two Stripe APIs localstripe lacks: Checkout and the billing portal.

The app's Stripe base URL points here. Checkout Sessions (create, retrieve,
expire; with their locale and metadata, and subscription_data.metadata handed on to
the subscription) and POST /v1/billing_portal/sessions answer with objects shaped as
Stripe documents them; every other /v1/ call is passed through to localstripe
unchanged. As at Stripe, a session is `open` until paid (`complete`) or past
its `expires_at` (`expired`), and a create carrying an Idempotency-Key already
used answers with the same session (409 while the first request with that key is
still running; 400 if the parameters differ). When the hosted checkout page is
"paid", the stand-in creates the customer, card and subscription in localstripe
(so everything after it is real) and delivers a signed
checkout.session.completed event, as Stripe would.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import stripe
from werkzeug.wrappers import Request, Response

from servers import LiveServer, free_port


class StripeStandIn:
    def __init__(self, localstripe_url: str, api_key: str, webhook_url: str, webhook_secret: str):
        self.localstripe_url = localstripe_url
        self.api_key = api_key
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        self.api_calls: list[str] = []  # "METHOD /v1/path" of every API call the app made, in order
        self.lock = threading.Lock()
        self.idempotent: dict[str, tuple[str, str]] = {}  # Idempotency-Key -> (the request's params, session id)
        self.running: set[str] = set()  # keys of creates still under way
        self.gate = threading.Event()  # creating a session waits for it: clear it to hold creates back
        self.gate.set()
        self.send_completed = True  # False: paying sends no checkout.session.completed (a webhook that is late)
        self.lost_answers = 0  # how many of the next creates succeed but never answer (a network failure)
        self.server = LiveServer(self.wsgi, free_port())
        self.url = self.server.url

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)

    # --- the WSGI app ---------------------------------------------------------------
    def wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/v1/"):
            self.api_calls.append(f"{request.method} {request.path}")
        if request.method == "POST" and request.path == "/v1/checkout/sessions":
            response = self._create_checkout(request)
        elif request.path.startswith("/v1/checkout/sessions/"):
            response = self._checkout_session(request)
        elif request.method == "POST" and request.path == "/v1/billing_portal/sessions":
            response = self._create_portal(request)
        elif request.path.startswith("/pay/"):
            response = self._pay(request)
        elif request.path.startswith("/portal/"):
            response = Response("<h1>Billing portal</h1>", mimetype="text/html")
        else:
            response = self._forward(request)
        return response(environ, start_response)

    def _create_checkout(self, request: Request) -> Response:
        form = request.form
        key = request.headers.get("Idempotency-Key")
        params = json.dumps(sorted(form.items(multi=True)))
        with self.lock:
            if key in self.idempotent:
                if self.idempotent[key][0] != params:
                    return _error(400, "idempotency_error", "Keys for idempotent requests can only be used with "
                                                           "the same parameters they were first used with.")
                return _json(_public(self.sessions[self.idempotent[key][1]]))
            if key in self.running:
                return _error(409, "idempotency_error", "There is currently another in-progress request using "
                                                        "this Idempotency-Key. Please try again later.")
            if key:
                self.running.add(key)
        try:
            if not self.gate.wait(timeout=30):
                return _error(500, "api_error", "held too long")
            session = self._new_session(form)
            with self.lock:
                self.sessions[session["id"]] = session
                if key:
                    self.idempotent[key] = (params, session["id"])
        finally:
            with self.lock:
                self.running.discard(key)
        if self.lost_answers > 0:  # made and saved under its key, but the answer is lost on the way back
            self.lost_answers -= 1
            return Response("Bad Gateway", status=502, mimetype="text/plain")
        return _json(_public(session))

    def _new_session(self, form) -> dict:
        session_id = "cs_test_" + secrets.token_hex(12)
        created = int(time.time())
        return {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.url}/pay/{session_id}",
            "client_reference_id": form.get("client_reference_id"),
            "customer": form.get("customer"),
            "customer_email": form.get("customer_email"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "locale": form.get("locale"),
            "metadata": _hash(form, "metadata"),
            "subscription": None,
            "livemode": False,
            "created": created,
            "expires_at": int(form.get("expires_at") or created + 24 * 3600),  # Stripe's default: a day
            "_price": form.get("line_items[0][price]"),
            # subscription_data is no field of the session: Stripe hands it to the subscription paying makes.
            "_subscription_metadata": _hash(form, "subscription_data[metadata]"),
        }

    def _checkout_session(self, request: Request) -> Response:
        """GET /v1/checkout/sessions/<id> and POST /v1/checkout/sessions/<id>/expire."""
        parts = request.path.split("/")[4:]
        session = self.sessions.get(parts[0])
        if session is None:
            return _error(404, "invalid_request_error", f"No such checkout.session: '{parts[0]}'")
        self._lapse(session)
        if request.method == "POST" and parts[1:] == ["expire"]:
            if session["status"] != "open":
                return _error(400, "invalid_request_error", "Only Checkout Sessions with a status of open can be "
                                                            "expired.")
            session.update(status="expired", url=None)
        elif request.method != "GET" or parts[1:]:
            return _error(404, "invalid_request_error", "Unrecognized request URL.")
        return _json(_public(session))

    def _lapse(self, session: dict) -> None:
        if session["status"] == "open" and time.time() >= session["expires_at"]:
            session.update(status="expired", url=None)

    def expire(self, session_id: str) -> None:
        """Let a session run past its expires_at, as a day going by would."""
        self.sessions[session_id]["expires_at"] = int(time.time()) - 1

    def _create_portal(self, request: Request) -> Response:
        portal_id = "bps_" + secrets.token_hex(12)
        portal = {"id": portal_id, "object": "billing_portal.session", "customer": request.form.get("customer"),
                  "return_url": request.form.get("return_url"), "url": f"{self.url}/portal/{portal_id}",
                  "locale": request.form.get("locale"),
                  "livemode": False, "created": int(time.time())}
        self.portal_sessions[portal_id] = portal
        return _json(portal)

    def _pay(self, request: Request) -> Response:
        session = self.sessions.get(request.path.rsplit("/", 1)[-1])
        if session is None:
            return Response("no such session", status=404)
        self._lapse(session)
        if session["status"] != "open":
            return Response(f"this Checkout is {session['status']}", status=410)
        if request.method == "GET":
            return Response(
                '<!doctype html><html lang="en"><title>Checkout</title><main><h1>Pay</h1>'
                f'<form method="post"><button type="submit">Pay {session["_price"]}</button></form></main></html>',
                mimetype="text/html")
        self.complete(session)
        target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
        return Response(status=303, headers={"Location": target})

    def complete(self, session: dict) -> dict:
        """What paying does at Stripe: a customer, a card, a subscription, then the completed event."""
        client = stripe.StripeClient(self.api_key, base_addresses={"api": self.localstripe_url})
        customer = session["customer"] or client.v1.customers.create({"email": session["customer_email"]}).id
        card = client.v1.payment_methods.create({"type": "card", "card": {
            "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        client.v1.payment_methods.attach(card.id, {"customer": customer})
        client.v1.customers.update(customer, {"invoice_settings": {"default_payment_method": card.id}})
        subscription = client.v1.subscriptions.create({"customer": customer, "items": [{"plan": session["_price"]}],
                                                       "metadata": session["_subscription_metadata"]})
        email = session["customer_email"] or client.v1.customers.retrieve(customer).email
        session.update(status="complete", payment_status="paid", customer=customer, subscription=subscription.id,
                       customer_details={"email": email}, url=None)
        if self.send_completed:
            self.deliver("checkout.session.completed", _public(session))
        return session

    def deliver(self, event_type: str, obj: dict) -> int:
        """POST a signed event to the app's webhook, as Stripe does."""
        created = int(time.time())
        event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "type": event_type, "created": created,
                 "api_version": "2024-06-20", "livemode": False, "data": {"object": obj}}
        return post_signed(self.webhook_url, self.webhook_secret, event)

    def _forward(self, request: Request) -> Response:
        url = self.localstripe_url + request.full_path.rstrip("?")
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        forwarded = urllib.request.Request(url, data=request.get_data() or None, headers=headers,
                                           method=request.method)
        try:
            with urllib.request.urlopen(forwarded, timeout=10) as answer:
                return Response(answer.read(), status=answer.status, mimetype="application/json")
        except urllib.error.HTTPError as exc:
            return Response(exc.read(), status=exc.code, mimetype="application/json")


def _hash(form, name: str) -> dict:
    """A hash parameter as Stripe's form encoding sends it (name[key]=value), back as a dict."""
    prefix = name + "["
    return {key[len(prefix):-1]: value for key, value in form.items()
            if key.startswith(prefix) and key.endswith("]") and "[" not in key[len(prefix):-1]}


def _public(session: dict) -> dict:
    return {k: v for k, v in session.items() if not k.startswith("_")}


def _json(body: dict) -> Response:
    return Response(json.dumps(body), mimetype="application/json")


def _error(status: int, kind: str, message: str) -> Response:
    """An error shaped as Stripe's API answers one."""
    return Response(json.dumps({"error": {"type": kind, "message": message}}), status=status,
                    mimetype="application/json")


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header value for a payload (Stripe's documented v1 scheme)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_signed(url: str, secret: str, event: dict, timestamp: int | None = None) -> int:
    payload = json.dumps(event).encode()
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json", "Stripe-Signature": sign(payload, secret, timestamp)})
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
