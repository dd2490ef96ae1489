"""Run localstripe on 127.0.0.1 only (its own entry point listens on every interface).

Usage: python localstripe_server.py PORT
"""
import sys

from aiohttp import web
from localstripe.server import app

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
