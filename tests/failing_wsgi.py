"""A WSGI app that fails where no framework can catch it: in its response body, before the first byte.

gunicorn itself then logs "Error handling request <method> <URI>" with the traceback, and answers 500.
Served by tests/test_logs.py under the project's gunicorn.conf.py; /healthz answers, for servers.Gunicorn.
"""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ["PATH_INFO"] == "/healthz":
        return [b"ok"]

    def body():
        # The message quotes the request, as real errors often do (a URL in an exception).
        raise RuntimeError(f"could not answer {environ['RAW_URI']}")
        yield b""  # a generator: the error comes while gunicorn iterates

    return body()
