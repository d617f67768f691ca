// Member media: camera and microphone up to the server, the floor (speaker and chair) down.
// The server is an SFU that forwards; the client offers its own tracks plus fixed receive slots
// (2 audio, 2 video) that the server re-points when the floor changes, with no renegotiation.
// aiortc does not trickle ICE, so the offer is sent once gathering is complete.

const LIVE_STATES = new Set(["connecting", "connected"]);

export class MemberMedia {
  constructor(live, { iceServers = [], onTrack, onState, onReset } = {}) {
    this.live = live;
    this.iceServers = iceServers;
    this.onTrack = onTrack || (() => {});
    this.onState = onState || (() => {});
    this.onReset = onReset || (() => {});
    this.stream = null;
    this.pc = null;
    this.connecting = null;  // the negotiation in flight, so that recover() never starts a second one
  }

  async start({ cameraId, microphoneId } = {}) {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: microphoneId ? { deviceId: { exact: microphoneId } } : true,
      video: { width: 640, height: 360, frameRate: 20, ...(cameraId ? { deviceId: { exact: cameraId } } : {}) },
    });
    await this.connect();
    return this.stream;
  }

  // A new peer connection for the same camera and microphone. The server replaces the member's
  // previous call when an offer comes from a new connection (meetings/media/gateway.py).
  connect() {
    this.connecting = this.negotiate().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  async negotiate() {
    if (this.pc) {
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.onReset();
    }
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    for (const track of this.stream.getTracks()) {
      const sender = pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] }).sender;
      if (track.kind === "video") {
        const params = sender.getParameters();
        params.encodings = [{ maxBitrate: 600_000 }];  // no simulcast: cap what everyone receives
        sender.setParameters(params).catch(() => {});
      }
    }
    for (const kind of ["audio", "audio", "video", "video"]) pc.addTransceiver(kind, { direction: "recvonly" });
    pc.ontrack = (e) => this.onTrack(e.track, e.transceiver);
    pc.onconnectionstatechange = () => {
      this.onState(pc.connectionState);
      // A call that failed while the socket stayed up (e.g. the media worker restarted) is set up again.
      if (pc.connectionState === "failed") this.recover().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
      setTimeout(resolve, 3000);
    });
    const answer = await this.live.request("media.offer", { sdp: pc.localDescription.sdp, type: "offer" });
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  }

  // After the socket comes back, or when the call fails: keep a call that is alive (answered and
  // connecting or connected), set up a new one otherwise, e.g. when the offer was lost with the socket.
  async recover() {
    if (!this.stream || this.connecting) return;
    const pc = this.pc;
    if (pc && pc.remoteDescription && LIVE_STATES.has(pc.connectionState)) return;
    await this.connect();
  }

  // The call ends here: camera and microphone are released; the server ends its side when the
  // connection's consent checks stop.
  stop() {
    if (this.pc) {
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = null;
      this.onReset();
    }
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
  }

  setMuted(muted) {
    for (const track of this.stream?.getAudioTracks() || []) track.enabled = !muted;
  }

  async setAudioOnly(on) {
    await this.live.request("media.audio_only", { on });
  }
}
