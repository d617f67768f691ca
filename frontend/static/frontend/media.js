// Member media: camera and microphone up to the server, the floor (speaker and chair) down.
// The server is an SFU that forwards; the client offers its own tracks plus fixed receive slots
// (2 audio, 2 video) that the server re-points when the floor changes, with no renegotiation.
// aiortc does not trickle ICE, so the offer is sent once gathering is complete.

export class MemberMedia {
  constructor(live, { iceServers = [], onTrack, onState } = {}) {
    this.live = live;
    this.iceServers = iceServers;
    this.onTrack = onTrack || (() => {});
    this.onState = onState || (() => {});
    this.stream = null;
  }

  static async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    return { cameras: all.filter((d) => d.kind === "videoinput"), microphones: all.filter((d) => d.kind === "audioinput") };
  }

  async start({ cameraId, microphoneId } = {}) {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: microphoneId ? { deviceId: { exact: microphoneId } } : true,
      video: { width: 640, height: 360, frameRate: 20, ...(cameraId ? { deviceId: { exact: cameraId } } : {}) },
    });
    this.pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    for (const track of this.stream.getTracks()) {
      const sender = this.pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] }).sender;
      if (track.kind === "video") {
        const params = sender.getParameters();
        params.encodings = [{ maxBitrate: 600_000 }];  // no simulcast: cap what everyone receives
        sender.setParameters(params).catch(() => {});
      }
    }
    for (const kind of ["audio", "audio", "video", "video"]) this.pc.addTransceiver(kind, { direction: "recvonly" });
    this.pc.ontrack = (e) => this.onTrack(e.track, e.transceiver);
    this.pc.onconnectionstatechange = () => this.onState(this.pc.connectionState);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await new Promise((resolve) => {
      if (this.pc.iceGatheringState === "complete") return resolve();
      this.pc.onicegatheringstatechange = () => this.pc.iceGatheringState === "complete" && resolve();
      setTimeout(resolve, 3000);
    });
    const answer = await this.live.request("media.offer", { sdp: this.pc.localDescription.sdp, type: "offer" });
    await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    return this.stream;
  }

  setMuted(muted) {
    for (const track of this.stream?.getAudioTracks() || []) track.enabled = !muted;
  }

  async setAudioOnly(on) {
    await this.live.request("media.audio_only", { on });
  }
}
