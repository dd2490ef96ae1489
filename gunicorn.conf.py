"""gunicorn settings picked up by a plain `gunicorn wsgi:app` from the project root.

The access log prints each request line with its query string; member tokens
travel there as ?token=, so every line is scrubbed before it is written.
"""
from gunicorn.glogging import Logger

from syndicate.logs import scrub


class ScrubbingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if key in atoms and isinstance(atoms[key], str):
                atoms[key] = scrub(atoms[key] if key != "q" else "?" + atoms[key])[(1 if key == "q" else 0):]
        return atoms

    def access(self, resp, req, environ, request_time):
        super().access(resp, req, environ, request_time)

    def error(self, msg, *args, **kwargs):
        super().error(scrub(str(msg)), *args, **kwargs)


logger_class = ScrubbingLogger
