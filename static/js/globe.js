// The home page's globe: one marker per factory, coloured by its latest status, dragged to
// rotate. cobe is loaded from our own static files; without WebGL the list beside it stays.
const stage = document.getElementById("globe-stage");
const canvas = document.getElementById("globe");
const dataNode = document.getElementById("globe-markers");

const COLORS = {
  compliant: [0.12, 0.62, 0.42],
  exceeded: [0.9, 0.28, 0.3],
  none: [0.6, 0.65, 0.63],
};

function webglAvailable() {
  try {
    const probe = document.createElement("canvas");
    return Boolean(probe.getContext("webgl2") || probe.getContext("webgl"));
  } catch (error) {
    return false;
  }
}

function themeOptions() {
  const dark = document.documentElement.getAttribute("data-theme") === "dark";
  return dark
    ? { dark: 1, baseColor: [0.32, 0.36, 0.35], glowColor: [0.16, 0.3, 0.24], mapBrightness: 5 }
    : { dark: 0, baseColor: [0.93, 0.96, 0.95], glowColor: [0.85, 0.93, 0.89], mapBrightness: 7 };
}

async function start() {
  if (!stage || !canvas || !dataNode) {
    return;
  }
  if (!webglAvailable()) {
    stage.classList.add("no-webgl");
    return;
  }
  let createGlobe;
  try {
    createGlobe = (await import(canvas.dataset.cobeSrc)).default;
  } catch (error) {
    stage.classList.add("no-webgl");
    return;
  }
  const markers = JSON.parse(dataNode.textContent).map((factory) => ({
    location: [factory.lat, factory.lon],
    size: factory.status === "exceeded" ? 0.07 : 0.05,
    color: COLORS[factory.status] || COLORS.none,
  }));

  // Start facing the factories: the mean longitude and latitude of the markers.
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  let phi = -((mean(markers.map((m) => m.location[1])) + 90) * Math.PI) / 180 + Math.PI;
  let theta = Math.min(0.6, Math.max(-0.2, (mean(markers.map((m) => m.location[0])) * Math.PI) / 360));
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const size = () => Math.max(200, Math.round(canvas.getBoundingClientRect().width));
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  let width = size();
  const globe = createGlobe(canvas, {
    devicePixelRatio: ratio,
    width: width * ratio,
    height: width * ratio,
    phi,
    theta,
    diffuse: 1.2,
    mapSamples: 16000,
    markerColor: COLORS.none,
    markers,
    context: { preserveDrawingBuffer: true },
    ...themeOptions(),
  });
  canvas.dataset.ready = "true";

  let dragging = null;
  canvas.addEventListener("pointerdown", (event) => {
    dragging = { x: event.clientX, y: event.clientY, phi, theta };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!dragging) {
      return;
    }
    phi = dragging.phi + (event.clientX - dragging.x) / 150;
    theta = Math.min(1.2, Math.max(-1.2, dragging.theta + (event.clientY - dragging.y) / 300));
  });
  const release = () => {
    dragging = null;
  };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);

  document.addEventListener("carbontrace:theme", () => globe.update(themeOptions()));
  window.addEventListener("resize", () => {
    width = size();
    globe.update({ width: width * ratio, height: width * ratio });
  });

  const frame = () => {
    if (!dragging && !reduceMotion) {
      phi += 0.0025;
    }
    globe.update({ phi, theta });
    window.requestAnimationFrame(frame);
  };
  window.requestAnimationFrame(frame);
}

start();
