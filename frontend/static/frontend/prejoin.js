// The pre-join check: before anything goes to the server, a preview of the chosen camera, the chosen
// microphone's level and, when something is wrong, what it is in words. The browser's error names
// (getUserMedia's DOMException) are what tells the cases apart.
import { gettext, interpolate } from "./i18n.js";

const PROBLEMS = {
  NotAllowedError: () => gettext("The browser may not use your camera and microphone. Allow them for this site (the icon in the address bar) and check again."),
  NotFoundError: () => gettext("No camera or microphone was found. Connect one and check again."),
  NotReadableError: () => gettext("Your camera or microphone is in use by another program. Close that program and check again."),
  OverconstrainedError: () => gettext("The chosen camera or microphone is no longer there. Choose another."),
};
PROBLEMS.SecurityError = PROBLEMS.NotAllowedError;  // the same refusal, from the page's policy

export function deviceProblem(error) {
  const words = PROBLEMS[error?.name];
  return words ? words() : interpolate(gettext("The camera and microphone could not be started (%(reason)s)."),
    { reason: error?.message || String(error) }, true);
}

export class PreJoinCheck {
  constructor({ video, meter, status, camera, microphone }) {
    Object.assign(this, { video, meter, status, camera, microphone });
    this.stream = null;
    this.audio = null;
    this.frame = 0;
    camera.onchange = microphone.onchange = () => this.start();
  }

  say(state, text) {
    this.status.dataset.state = state;  // "checking", "ok", "partial" or "problem", for styles and tests
    this.status.textContent = text;
  }

  async start() {
    this.stop();
    this.say("checking", gettext("Checking camera and microphone…"));
    const cameraId = this.camera.value, microphoneId = this.microphone.value;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: microphoneId ? { deviceId: { exact: microphoneId } } : true,
        video: cameraId ? { deviceId: { exact: cameraId } } : true,
      });
    } catch (error) {
      this.say("problem", deviceProblem(error));
      return;
    }
    this.video.srcObject = this.stream;
    await this.listDevices();  // the devices' names are readable only once access is granted
    this.listenToMicrophone();
    if (!this.stream.getVideoTracks().length) {
      this.say("partial", gettext("No camera: you can join with sound, but the law requires that the others can see you."));
    } else if (!this.stream.getAudioTracks().length) {
      this.say("partial", gettext("No microphone: you can join, but the others cannot hear you."));
    } else {
      this.say("ok", gettext("Your camera and microphone work. Speak to see the level move."));
    }
  }

  async listDevices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    const fill = (select, kind, label, track) => {
      const current = track?.getSettings().deviceId || select.value;
      select.replaceChildren(...all.filter((d) => d.kind === kind).map((d, i) => {
        const option = new Option(d.label || `${label} ${i + 1}`, d.deviceId);
        option.selected = d.deviceId === current;
        return option;
      }));
    };
    fill(this.camera, "videoinput", gettext("Camera"), this.stream?.getVideoTracks()[0]);
    fill(this.microphone, "audioinput", gettext("Microphone"), this.stream?.getAudioTracks()[0]);
  }

  // The level is the signal's RMS over the analyser's window, drawn once a frame.
  listenToMicrophone() {
    if (!this.stream.getAudioTracks().length || !globalThis.AudioContext) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(this.stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const draw = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      this.meter.value = Math.min(1, 4 * Math.sqrt(sum / samples.length));
      this.frame = requestAnimationFrame(draw);
    };
    this.audio = context;
    context.resume().catch(() => {});
    draw();
  }

  // Everything released, so that joining (or another program) can open the devices.
  stop() {
    cancelAnimationFrame(this.frame);
    this.audio?.close().catch(() => {});
    this.audio = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.meter.value = 0;
  }
}
