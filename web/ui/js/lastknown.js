// What vigild reported last to this browser: its latest packet time and
// its port names, kept in localStorage. While vigild is down (after a
// replay has ended, for instance) pages use them to read the stored
// timeseries of the right ports over the right range of packet time.
const KEY = 'vigil.last_interfaces';

// Keeps the packet time and port names of a GET /interfaces response.
// A response without a packet yet keeps the previous values.
export function remember(doc) {
  if (!doc || !(doc.packet_time > 0) || !Array.isArray(doc.interfaces)) return;
  try {
    localStorage.setItem(KEY, JSON.stringify({
      packet_time: doc.packet_time,
      ports: doc.interfaces.map((p) => p.name),
    }));
  } catch (err) { /* storage is off or full: pages fall back to the series */ }
}

// Returns { packet_time, ports } as remembered, or null.
export function recall() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY));
    if (v && typeof v.packet_time === 'number' && Array.isArray(v.ports)) return v;
  } catch (err) { /* nothing usable is stored */ }
  return null;
}
