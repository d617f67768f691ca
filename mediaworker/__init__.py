"""The media worker: the process side that wires member media (conference/) and the public stream
(livestream/) to a meeting's log. It follows the log's events and reports what it measures through
the domain's services; it never decides procedure (DESIGN.md §5).

* ``worker`` - ``MediaWorker``: one per channel, owning the rooms and public streams of its meetings.
* ``embedded`` - the default: the worker(s) inside the daphne process, started by asgi.py.
* ``management/commands/run_media_worker`` - production: worker N as its own process (Redis).
"""
