/**
 * Every error class of the `CareLedgerError` hierarchy declares its `name` as a fixed string equal to
 * its class name, so `err.name` survives minification (a bundler renames classes, `new.target.name`
 * would come out as "o6"). Found by parsing `src/` with the TypeScript compiler, so a new subclass
 * anywhere is checked too; the minified bundle itself is checked in `tarball.test.ts`.
 */
import { expect } from "chai";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

interface ErrorClass {
  readonly name: string;
  readonly file: string;
  readonly parent: string | undefined;
  /** The string literal `name` is initialised with, if the class declares one. */
  readonly fixedName: string | undefined;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

async function classesIn(files: readonly string[]): Promise<Map<string, ErrorClass>> {
  const classes = new Map<string, ErrorClass>();
  for (const file of files) {
    const sf = ts.createSourceFile(
      file,
      await readFile(file, "utf8"),
      ts.ScriptTarget.Latest,
      true,
    );
    sf.forEachChild((node) => {
      if (!ts.isClassDeclaration(node) || node.name === undefined) return;
      const parent = node.heritageClauses
        ?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
        ?.types[0]?.expression.getText(sf);
      const nameField = node.members.find(
        (m): m is ts.PropertyDeclaration =>
          ts.isPropertyDeclaration(m) && m.name.getText(sf) === "name",
      );
      const init = nameField?.initializer;
      classes.set(node.name.text, {
        name: node.name.text,
        file: path.relative(src, file),
        parent,
        fixedName: init !== undefined && ts.isStringLiteral(init) ? init.text : undefined,
      });
    });
  }
  return classes;
}

describe("error names are fixed strings (minification-safe)", function () {
  let errors: ErrorClass[];

  before(async function () {
    const classes = await classesIn(await sourceFiles(src));
    const isError = (c: ErrorClass | undefined): boolean =>
      c !== undefined && (c.name === "CareLedgerError" || isError(classes.get(c.parent ?? "")));
    errors = [...classes.values()].filter((c) => isError(c));
  });

  it("finds the hierarchy (CareLedgerError and its subclasses in every module)", function () {
    const names = errors.map((e) => e.name);
    expect(names).to.include.members([
      "CareLedgerError",
      "IntegrityError",
      "InvalidConsentInputError",
      "ContractRevertError",
      "AbiMismatchError",
      "NotAReaderError",
    ]);
  });

  it("every class declares `name` as its own class name", function () {
    const wrong = errors
      .filter((e) => e.fixedName !== e.name)
      .map((e) => `${e.file}: ${e.name} has name ${JSON.stringify(e.fixedName)}`);
    expect(wrong).to.deep.equal([]);
  });

  it("no class derives its name at run time", async function () {
    const offenders: string[] = [];
    for (const file of await sourceFiles(src)) {
      if (/new\.target\.name|this\.constructor\.name/.test(await readFile(file, "utf8"))) {
        offenders.push(path.relative(src, file));
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
