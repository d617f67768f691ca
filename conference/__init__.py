"""Member media: a forwarding SFU on aiortc for the floor model (DESIGN.md §5).

Modules, one job each:

* ``forwarding`` - the aiortc hooks: pass-through receivers, bounded slot relays, PLI forwarding,
  and ``check_aiortc_internals()`` guarding the private details (aiortc pinned to 1.16.0).
* ``sdp`` - validation of member offers before they touch a connection.
* ``peer`` - one member's ``RTCPeerConnection``: what they publish and their floor slots.
* ``room`` - ``MediaRoom``: routing the floor, media state, audio levels, degradation.
* ``decoded`` - decoded copies of a member's media for the public-stream composer.
* ``gateway`` - the app-facing API (``handle_client_message``, ``apply_routing``, events).
* ``config`` - settings (with or without Django) and ICE host addresses.

Pure asyncio; importing this package does not need Django, and it imports nothing else of ours:
the media worker (mediaworker/) wires it to the meeting log.
"""
