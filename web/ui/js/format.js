// Number, size and time formatting for tables and charts.

// A size in decimal SI units (1 kB = 1000 B), as vigil's command-line
// tools print sizes.
export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
}

export function bits(n) {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return v.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
}

export function count(n) {
  if (n === null || n === undefined) return '';
  return Number(n).toLocaleString('en-US');
}

// Seconds since the epoch (packet time) as UTC text.
export function time(t) {
  if (!t) return '';
  return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function duration(s) {
  if (s === null || s === undefined) return '';
  if (s < 1) return (s * 1000).toFixed(0) + ' ms';
  if (s < 120) return s.toFixed(1) + ' s';
  if (s < 7200) return (s / 60).toFixed(1) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

export function endpoint(ip, port) {
  if (port === undefined || port === null) return ip;
  return (ip.includes(':') ? '[' + ip + ']' : ip) + ':' + port;
}
