/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries (`/usr/lib/postgresql/<v>/bin`), a
 * cluster in a temp directory owned by the `postgres` user when run as root, trust auth, loopback only, a
 * free port. `.ci/run` installs the package when it is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/lib/node.js";

/** A running throwaway cluster. */
export interface RunningPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** Run one SQL statement with `psql` and return its unaligned output. */
  psql(statement: string): string;
  /** Stop the server and delete the cluster. */
  stop(): Promise<void>;
}

/** The newest installed `/usr/lib/postgresql/<v>/bin`, or undefined. */
export function postgresBinDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(base, versions[0], "bin");
}

/** Start a cluster; throws when the binaries are missing. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined)
    throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const dir = await mkdtemp(path.join(tmpdir(), "careledger-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: readonly string[]): string => {
    const [file, argv] = asRoot
      ? ["runuser", ["-u", "postgres", "--", command, ...args]]
      : [command, [...args]];
    const result = spawnSync(file, argv, { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0)
      throw new Error(`${command} ${args.join(" ")}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    await chown(dir, uid, gid);
  }
  run(path.join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  run(path.join(bin, "pg_ctl"), [
    "-D",
    data,
    "-o",
    options,
    "-l",
    path.join(dir, "log"),
    "-w",
    "start",
  ]);
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    psql: (statement) =>
      run(path.join(bin, "psql"), [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "postgres",
        "-At",
        "-c",
        statement,
      ]),
    async stop() {
      spawnSync(
        asRoot ? "runuser" : path.join(bin, "pg_ctl"),
        asRoot
          ? [
              "-u",
              "postgres",
              "--",
              path.join(bin, "pg_ctl"),
              "-D",
              data,
              "-m",
              "immediate",
              "stop",
            ]
          : ["-D", data, "-m", "immediate", "stop"],
        { timeout: 30_000 },
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
