"""`python -m web`: the embedded default, web app plus relay and workers in one process."""

import os

from waitress import serve

from web import create_app


def main() -> None:
    app = create_app(start_workers=True)
    port = int(os.environ.get("PORT", "5000"))
    host = os.environ.get("HOST", "127.0.0.1")
    print(f"aTES is serving on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        serve(app, host=host, port=port, threads=8)
    finally:
        app.extensions["ates_background"].stop()


if __name__ == "__main__":
    main()
