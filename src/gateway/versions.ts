/**
 * Orders versions the way semantic versioning does: dot-separated parts compared numerically
 * where both are numbers, a leading `v` ignored, and a pre-release (`1.0.0-rc.1`) below its
 * release (`1.0.0`). Other names fall back to text order, so any version string sorts.
 */
export function compareVersions(a: string, b: string): number {
  const [leftMain = '', leftPre] = splitPreRelease(a);
  const [rightMain = '', rightPre] = splitPreRelease(b);
  const main = compareParts(leftMain.split('.'), rightMain.split('.'));
  if (main !== 0) return main;
  if (leftPre === undefined || rightPre === undefined) {
    if (leftPre === rightPre) return 0;
    return leftPre === undefined ? 1 : -1;
  }
  return compareParts(leftPre.split('.'), rightPre.split('.'));
}

function splitPreRelease(version: string): [string, string | undefined] {
  const bare = version.replace(/^v/, '');
  const dash = bare.indexOf('-');
  return dash < 0 ? [bare, undefined] : [bare.slice(0, dash), bare.slice(dash + 1)];
}

function compareParts(left: string[], right: string[]): number {
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    // A version with more parts is the higher one when the shared parts are equal (1.2 < 1.2.1).
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const bothNumbers = /^\d+$/.test(x) && /^\d+$/.test(y);
    const order = bothNumbers ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return Math.sign(order);
  }
  return 0;
}
