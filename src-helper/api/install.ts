// One-time installation of the root helper by the desktop app (a system package does this with
// its own tooling instead).
//
// The app ships the helper bundle (the Node runtime, helper.mjs, hnet_helper.node, the systemd
// unit) and a manifest of their SHA-256 sums. The app's files may be writable by the user, so
// nothing is run as root from there: one elevated shell script (through @vscode/sudo-prompt, the
// only password prompt) copies the files into a root-owned staging directory, checks every
// SHA-256 *on that root-owned copy* against the sums embedded in the script itself, and only then
// moves it into place and starts the service. A file swapped between our check and the copy
// fails the check; nothing is left installed. The script travels inline in the command, not in a
// temp file the user could edit before it runs.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { integer, list, object, parsed, text, type Infer } from '../../src-shared/validate.js';

export const INSTALL_DIR = '/opt/hnet-helper';
export const MANIFEST_NAME = 'helper-manifest.json';

const SHA256 = /^[0-9a-f]{64}$/;
// Plain relative names only: the paths end up in a root shell script and under INSTALL_DIR.
const BUNDLE_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

const manifestValidator = object({
  version: text({ nonEmpty: true, maxLength: 64 }),
  files: list(
    object({
      path: parsed('a relative path of letters, digits, "_", "." and "-"', (p) =>
        BUNDLE_PATH.test(p) && !p.split('/').includes('..') && normalize(p) === p ? p : undefined,
      ),
      sha256: parsed('64 lowercase hex digits', (h) => (SHA256.test(h) ? h : undefined)),
      mode: integer(0, 0o755),
    }),
    64,
  ),
});
export type HelperManifest = Infer<typeof manifestValidator>;

export type InstallCheck = { ok: true } | { ok: false; problem: string };

export function parseManifest(json: string): HelperManifest {
  const checked = manifestValidator(JSON.parse(json) as unknown, 'manifest');
  if (!checked.ok) throw new Error(`the helper manifest is invalid: ${checked.error}`);
  return checked.value;
}

export async function readManifest(bundleDir: string): Promise<HelperManifest> {
  return parseManifest(await readFile(join(bundleDir, MANIFEST_NAME), 'utf8'));
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** For the packaging step: the manifest of a bundle directory, shipped inside the app. */
export async function createManifest(
  dir: string,
  version: string,
  files: readonly { path: string; mode: number }[],
): Promise<HelperManifest> {
  const listed = await Promise.all(
    files.map(async (f) => ({ path: f.path, mode: f.mode, sha256: await sha256File(join(dir, f.path)) })),
  );
  return parseManifest(JSON.stringify({ version, files: listed }));
}

/** Whether every file of the manifest is present in dir with its SHA-256. */
export async function verifyBundle(dir: string, manifest: HelperManifest): Promise<InstallCheck> {
  for (const file of manifest.files) {
    let actual: string;
    try {
      actual = await sha256File(join(dir, file.path));
    } catch {
      return { ok: false, problem: `${file.path} is missing from ${dir}` };
    }
    if (actual !== file.sha256)
      return { ok: false, problem: `${file.path} in ${dir} does not match its SHA-256` };
  }
  return { ok: true };
}

/** Single-quotes a word for sh. */
const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

export interface InstallPlan {
  bundleDir: string;
  manifest: HelperManifest;
  /** Where the helper lives; INSTALL_DIR unless testing. */
  installDir?: string;
  /** Whether to install and start the systemd unit (Linux). */
  startService?: boolean;
}

/**
 * The script run as root. Staging directory first, checksums on the root-owned copy, then an
 * atomic swap of the directory; the old install is removed only once the new one is in place.
 */
export function installScript(plan: InstallPlan): string {
  const target = plan.installDir ?? INSTALL_DIR;
  if (!isAbsolute(target) || !isAbsolute(plan.bundleDir)) throw new Error('install paths must be absolute');
  const staging = `${target}.new`;
  const sums = plan.manifest.files.map((f) => `${f.sha256}  ${f.path}`).join('\n');
  const checker = process.platform === 'darwin' ? 'shasum -a 256 -c -s' : 'sha256sum -c --status';
  const lines = [
    'set -eu',
    'umask 022',
    `rm -rf ${quote(staging)}`,
    `mkdir -m 0755 ${quote(staging)}`,
    `chown 0:0 ${quote(staging)}`,
    ...plan.manifest.files.flatMap((f) => {
      const dest = `${staging}/${f.path}`;
      return [
        `mkdir -p -m 0755 "$(dirname ${quote(dest)})"`,
        `cp ${quote(join(plan.bundleDir, f.path))} ${quote(dest)}`,
        `chown 0:0 ${quote(dest)}`,
        `chmod ${f.mode.toString(8)} ${quote(dest)}`,
      ];
    }),
    `if ! (cd ${quote(staging)} && printf '%s\\n' ${quote(sums)} | ${checker}); then`,
    `  rm -rf ${quote(staging)}`,
    `  echo 'hnet: the helper files failed verification; nothing was installed' >&2`,
    '  exit 3',
    'fi',
    `rm -rf ${quote(`${target}.old`)}`,
    `if [ -e ${quote(target)} ]; then mv ${quote(target)} ${quote(`${target}.old`)}; fi`,
    `mv ${quote(staging)} ${quote(target)}`,
    `rm -rf ${quote(`${target}.old`)}`,
  ];
  if (plan.startService) {
    lines.push(
      `install -o 0 -g 0 -m 0644 ${quote(`${target}/hnet-helper.service`)} /etc/systemd/system/hnet-helper.service`,
      'getent group hnet >/dev/null || groupadd --system hnet',
      // The user who approved the prompt joins the group the helper admits (pkexec or sudo).
      'caller="${PKEXEC_UID:-${SUDO_UID:-}}"',
      'if [ -n "$caller" ]; then usermod -a -G hnet "$(id -nu "$caller")"; fi',
      'mkdir -p -m 0755 /etc/hnet',
      `[ -e /etc/hnet/helper.json ] || printf '%s\\n' '{"group":"hnet"}' > /etc/hnet/helper.json`,
      'systemctl daemon-reload',
      'systemctl enable --now hnet-helper.service',
      'systemctl restart hnet-helper.service',
    );
  }
  return lines.join('\n');
}

/** Whether the installed copy is the one this app ships (no prompt needed). */
export async function isInstalled(manifest: HelperManifest, installDir = INSTALL_DIR): Promise<boolean> {
  return (await verifyBundle(installDir, manifest)).ok;
}

/**
 * Installs the helper with one elevation prompt. Cannot be tested here: it needs a desktop
 * session's polkit/osascript agent; installScript() is what runs and is tested directly as root.
 */
export async function installHelper(bundleDir: string): Promise<void> {
  const manifest = await readManifest(bundleDir);
  const check = await verifyBundle(bundleDir, manifest);
  if (!check.ok) throw new Error(`the hnet app is damaged (${check.problem}); reinstall the app`);
  if (await isInstalled(manifest)) return;
  const script = installScript({ bundleDir, manifest, startService: process.platform === 'linux' });
  const sudo = await import('@vscode/sudo-prompt');
  await new Promise<void>((resolve, reject) => {
    sudo.exec(`/bin/sh -c ${quote(script)}`, { name: 'hnet' }, (error, _stdout, stderr) => {
      if (error)
        reject(
          new Error(`installing the hnet helper failed: ${String(stderr ?? '').trim() || error.message}`),
        );
      else resolve();
    });
  });
}
