export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** "2026-11-30 10:41 UTC": the same for every reader, whatever the browser's locale. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function shortDigest(d: string | null | undefined): string {
  if (!d) return '–';
  const i = d.indexOf(':');
  return i < 0 ? d.slice(0, 12) : d.slice(0, i + 13);
}

export function mediaTypeLabel(t: string | null | undefined): string {
  if (!t) return '–';
  const known: Record<string, string> = {
    'application/vnd.oci.image.index.v1+json': 'OCI index',
    'application/vnd.oci.image.manifest.v1+json': 'OCI manifest',
    'application/vnd.docker.distribution.manifest.list.v2+json': 'Docker manifest list',
    'application/vnd.docker.distribution.manifest.v2+json': 'Docker manifest'
  };
  return known[t] ?? t;
}
