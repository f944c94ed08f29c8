// backstride metronome: one click per step, played in the page with the Web Audio API.
//
// Timing follows the audio clock, not the timer: a short timer wakes every 25 ms and schedules
// every click that falls in the next 120 ms (1.5 s while the tab is hidden, as browsers slow
// timers there) at its exact time on AudioContext.currentTime. Click i sounds at
// anchor + i * 60 / spm, computed from the index alone (as the WAV track does), so no rounding
// error accumulates. Browsers only start audio after a user gesture: the Start button is one.
// window.backstrideMetronome exposes the state: ticks (clicks scheduled so far) and times
// (the audio times of the last 16 clicks scheduled).
"use strict";

(function () {
  const root = document.querySelector("[data-metronome]");
  if (!root) {
    return;
  }
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  const controls = root.querySelector("[data-metronome-controls]");
  if (!AudioContextClass || !controls) {
    return; // the WAV downloads remain
  }
  const TIMER_MS = 25;
  const LOOKAHEAD_S = 0.12;
  const HIDDEN_LOOKAHEAD_S = 1.5;
  const START_DELAY_S = 0.05;
  const CLICK_S = 0.02; // as the WAV: a 20 ms tone burst
  const CLICK_HZ = 2000;
  const ACCENT_HZ = 3000;
  const MIN_SPM = 60;
  const MAX_SPM = 240;

  const toggle = root.querySelector("[data-metronome-toggle]");
  const tempo = root.querySelector("#metronome-spm");
  const accent = root.querySelector("#metronome-accent");
  const accentEvery = root.querySelector("#metronome-accent-every");
  const status = root.querySelector("[data-metronome-status]");
  const beat = root.querySelector("[data-metronome-beat]");
  const wav = root.querySelector("[data-metronome-wav]");

  const KEEP_TIMES = 16;
  const state = { ticks: 0, playing: false, spm: Number(tempo.value), times: [] };
  window.backstrideMetronome = state;

  let context = null;
  let timer = null;
  let anchor = 0; // audio time of click 0 of the current tempo
  let index = 0; // the next click to schedule
  let spm = state.spm;
  const pending = []; // [time, accent] of scheduled clicks, for the visual beat
  const live = new Set(); // oscillators scheduled and not yet ended

  function tempoValue() {
    const value = Number(tempo.value);
    return Number.isFinite(value) && value >= MIN_SPM && value <= MAX_SPM ? value : null;
  }

  function accentValue() {
    const every = Math.round(Number(accentEvery.value));
    return accent.checked && every >= 2 ? every : null;
  }

  function click(at, strong) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = strong ? ACCENT_HZ : CLICK_HZ;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(strong ? 0.84 : 0.45, at + 0.001);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + CLICK_S);
    oscillator.connect(gain).connect(context.destination);
    oscillator.onended = () => live.delete(oscillator);
    live.add(oscillator);
    oscillator.start(at);
    oscillator.stop(at + CLICK_S + 0.005);
  }

  function schedule() {
    const horizon = context.currentTime + (document.hidden ? HIDDEN_LOOKAHEAD_S : LOOKAHEAD_S);
    const every = accentValue();
    for (;;) {
      const at = anchor + (index * 60) / spm;
      if (at >= horizon) {
        break;
      }
      const strong = every !== null && index % every === 0;
      click(at, strong);
      pending.push([at, strong]);
      index += 1;
      state.ticks += 1;
      state.times.push(at);
      if (state.times.length > KEEP_TIMES) {
        state.times.shift();
      }
    }
  }

  function draw() {
    if (!state.playing) {
      beat.classList.remove("on", "accent");
      return;
    }
    let shown = null;
    while (pending.length && pending[0][0] <= context.currentTime) {
      shown = pending.shift();
    }
    if (shown) {
      beat.classList.add("on");
      beat.classList.toggle("accent", shown[1]);
      setTimeout(() => beat.classList.remove("on"), 90);
    }
    requestAnimationFrame(draw);
  }

  function showState(text) {
    toggle.setAttribute("aria-pressed", String(state.playing));
    toggle.textContent = state.playing ? "Stop metronome" : "Start metronome";
    status.textContent = text;
  }

  async function start() {
    const value = tempoValue();
    if (value === null) {
      status.textContent = `Give a cadence from ${MIN_SPM} to ${MAX_SPM} steps per minute.`;
      tempo.focus();
      return;
    }
    context = context || new AudioContextClass();
    await context.resume();
    spm = value;
    anchor = context.currentTime + START_DELAY_S;
    index = 0;
    pending.length = 0;
    state.times = [];
    state.playing = true;
    state.spm = spm;
    schedule();
    timer = setInterval(schedule, TIMER_MS);
    showState(`Playing ${spm} steps per minute.`);
    requestAnimationFrame(draw);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    state.playing = false;
    pending.length = 0;
    live.forEach((oscillator) => {
      oscillator.onended = null;
      oscillator.stop(); // clicks already scheduled in the lookahead must not sound
      oscillator.disconnect();
    });
    live.clear();
    if (context) {
      context.suspend();
    }
    showState("Stopped.");
  }

  function retune() {
    const value = tempoValue();
    if (value === null) {
      return;
    }
    if (wav) {
      const every = accentValue();
      wav.href = `/plan/metronome-${value}.wav${every ? `?accent=${every}` : ""}`;
      wav.textContent = `Download ${value} spm WAV`;
    }
    if (state.playing && value !== spm) {
      // The next unscheduled click becomes click 0 of the new tempo: no gap, no jump.
      anchor += (index * 60) / spm;
      index = 0;
      spm = value;
      state.spm = spm;
      status.textContent = `Playing ${spm} steps per minute.`;
    }
  }

  toggle.addEventListener("click", () => (state.playing ? stop() : start()));
  tempo.addEventListener("input", retune);
  accent.addEventListener("change", retune);
  accentEvery.addEventListener("input", retune);
  controls.hidden = false;
})();
