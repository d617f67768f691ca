"""Member media: a forwarding SFU on aiortc for the floor model (DESIGN.md §5).

Modules, one job each:

* ``rtp`` - RTP rewriting, packet by packet: a publisher's packet read once, written out per
  receiver with its own SSRC, sequence, timestamp and VP8 picture ids (pure bytes, no aiortc).
* ``forwarding`` - the aiortc hooks: taps in place of publishers' jitter buffers, receivers'
  streams sent straight onto SRTP and ICE, NACKs from a packet cache, PLI forwarding, and
  ``check_aiortc_internals()`` guarding the private details (aiortc pinned to 1.16.0).
* ``sdp`` - validation of member offers before they touch a connection.
* ``peer`` - one member's ``RTCPeerConnection``: what they publish and their floor slots.
* ``room`` - ``MediaRoom``: routing the floor, media state, audio levels, degradation.
* ``decoded`` - decoded copies of a member's media for the public-stream composer.
* ``gateway`` - the app-facing API (``handle_client_message``, ``apply_routing``, events).
* ``config`` - settings (with or without Django) and ICE host addresses.

Pure asyncio; importing this package does not need Django, and it imports nothing else of ours:
the media worker (mediaworker/) wires it to the meeting log.
"""
