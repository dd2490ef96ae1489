"""gunicorn settings picked up by a plain `gunicorn wsgi:app` from the project root.

The access log prints each request line with its query string; member tokens
travel there as ?token=, so every line is scrubbed before it is written.
"""
from gunicorn.glogging import Logger

from syndicate.logs import scrub


class ScrubbingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):  # request line, path, referer
            if isinstance(atoms.get(key), str):
                atoms[key] = scrub(atoms[key])
        if isinstance(atoms.get("q"), str):  # the bare query string
            atoms["q"] = scrub("?" + atoms["q"])[1:]
        return atoms

    def error(self, msg, *args, **kwargs):
        super().error(scrub(str(msg)), *args, **kwargs)


logger_class = ScrubbingLogger
