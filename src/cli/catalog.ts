/**
 * @module The `catalog` command: a client of catalog nodes for people and scripts, over HTTP
 * only. Subcommands are grouped by noun. Each action's module is imported when it runs, so
 * `catalog --help` or a completion costs only commander.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './exit.js';
import type { CommandContext } from './context.js';
import type { GlobalOptions } from './output.js';

/** An action that gets a context, its positional arguments and its own options. */
function run<A extends unknown[]>(body: (ctx: CommandContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const { commandContext } = await import('./context.js');
    const ctx = commandContext(cmd.optsWithGlobals<GlobalOptions>());
    await body(ctx, ...(args.slice(0, -1) as A));
  };
}

function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('catalog')
    .description('Client for artifact catalog nodes (Glare v1 API and its extensions)')
    .version('0.1.0')
    .option('-p, --profile <name>', 'stored profile to use (see `catalog login`); else CATALOG_URL / CATALOG_TOKEN, else the current profile')
    .option('--json', 'print the node’s JSON answer (same as --output json)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
    .option('-q, --quiet', 'print only ids (or nothing) and no progress')
    .option('--no-progress', 'never draw progress bars')
    .exitOverride()
    .showSuggestionAfterError();
  examples(program, 'catalog login http://127.0.0.1:9494 --token "$TOKEN"', 'catalog artifact list images name=cirros', 'catalog completion bash > /etc/bash_completion.d/catalog');

  // --- profiles
  examples(
    program
      .command('login <url>')
      .description('check a node and store its URL and credential as a profile (--profile, default "default")')
      .option('--token <token>', 'a JWT, or Glare’s user:project:roles noauth token')
      .option('--token-stdin', 'read the token from standard input')
      .option('-H, --header <name=value>', 'identity header a trusted auth proxy would set (repeatable)', collect)
      .action(run(async (ctx, url: string, opts: { token?: string; tokenStdin?: boolean; header?: string[] }) => (await import('./commands/login.js')).login(ctx, url, opts))),
    'catalog login https://catalog.example.org --token-stdin < token.jwt',
    'catalog --profile lab login http://127.0.0.1:9494 -H X-Project-Id=p1 -H X-User-Id=me -H X-Roles=member',
  );
  examples(program.command('logout').description('forget the profile (--profile, else the current one)').action(run(async (ctx) => (await import('./commands/login.js')).logout(ctx))), 'catalog --profile lab logout');
  examples(program.command('profiles').description('list stored profiles (never their tokens)').action(run(async (ctx) => (await import('./commands/login.js')).profiles(ctx))), 'catalog profiles');
  examples(program.command('use <profile>').description('make a stored profile the current one').action(run(async (ctx, name: string) => (await import('./commands/login.js')).use(ctx, name))), 'catalog use lab');

  // --- artifacts
  const artifact = examples(program.command('artifact').description('create, show, list, change and delete artifacts'), 'catalog artifact list images --help');
  examples(
    artifact
      .command('create [type] [fields...]')
      .description('create a drafted artifact from field=value (field:=<json>, dict.key=value), or from a manifest with -f')
      .option('-f, --file <manifest>', 'YAML/JSON manifest: type, fields, tags, requirements and local files for blobs')
      .option('-t, --tag <tag>', 'add a tag (repeatable)', collect)
      .option('--activate', 'activate it once created (and its files uploaded)')
      .option('--publish', 'activate and make it public (admins)')
      .action(run(async (ctx, type: string | undefined, fields: string[], opts: { file?: string; tag?: string[]; activate?: boolean; publish?: boolean }) => (await import('./commands/artifact.js')).create(ctx, type, fields, opts))),
    'catalog artifact create images name=cirros version=0.6.2 disk_format=qcow2 min_ram:=512 metadata.os=linux',
    'catalog artifact create -f artifact.yaml --activate',
  );
  examples(artifact.command('show <type> <id>').description('every field of an artifact').action(run(async (ctx, type: string, id: string) => (await import('./commands/artifact.js')).show(ctx, type, id))), 'catalog artifact show images 5b1d6c1e-...');
  examples(
    artifact
      .command('list <type> [filters...]')
      .description('list artifacts of a type (or "all"); filters are field=[op:]value in the node’s grammar (eq, neq, lt, lte, gt, gte, in)')
      .option('-t, --tag <tag>', 'has this tag (repeatable: has all)', collect)
      .option('--any-tag <tag>', 'has any of these tags (repeatable)', collect)
      .option('-s, --sort <keys>', 'sort keys, e.g. name:asc,version:desc')
      .option('-l, --limit <n>', 'page size (at most 1000)')
      .option('--marker <id>', 'start after this artifact (from a previous page)')
      .option('-a, --all', 'follow every page')
      .action(run(async (ctx, type: string, filters: string[], opts: Record<string, never>) => (await import('./commands/artifact.js')).list(ctx, type, filters, opts))),
    'catalog artifact list images name=cirros "version=^0.6" --sort version:desc',
    'catalog artifact list all status=active --tag linux --all --json',
  );
  examples(
    artifact
      .command('update <type> <id> [fields...]')
      .description('change fields with a JSON patch: field=value replaces, dict.key=value adds a key')
      .option('--unset <field>', 'clear a field, or remove dict.key (repeatable)', collect)
      .option('-t, --tag <tag>', 'add a tag (repeatable)', collect)
      .option('--untag <tag>', 'remove a tag (repeatable)', collect)
      .option('--patch <file>', 'also apply this JSON patch file (- for stdin)')
      .action(run(async (ctx, type: string, id: string, fields: string[], opts: Record<string, never>) => (await import('./commands/artifact.js')).update(ctx, type, id, fields, opts))),
    'catalog artifact update images 5b1d6c1e-... description="CirrOS test image" --tag small --unset metadata.draft',
  );
  examples(artifact.command('delete <type> <id>').description('delete an artifact and its blobs').action(run(async (ctx, type: string, id: string) => (await import('./commands/artifact.js')).remove(ctx, type, id))), 'catalog artifact delete images 5b1d6c1e-...');
  for (const [move, says] of [
    ['activate', 'drafted → active; its immutable fields are fixed from then on'],
    ['deactivate', 'active → deactivated (admins)'],
    ['reactivate', 'deactivated → active (admins)'],
    ['publish', 'make an active artifact public (admins)'],
  ] as const) {
    examples(artifact.command(`${move} <type> <id>`).description(says).action(run(async (ctx, type: string, id: string) => (await import('./commands/artifact.js')).transition(ctx, move, type, id))), `catalog artifact ${move} images 5b1d6c1e-...`);
  }

  examples(
    artifact
      .command('upgrade <type> <id>')
      .description('move a draft to the newest (or --to) version of its type (owners: drafts; admins: any artifact)')
      .option('--to <version>', 'the type version to reach (default: the newest)')
      .action(run(async (ctx, type: string, id: string, opts: { to?: string }) => (await import('./commands/type.js')).upgradeArtifact(ctx, type, id, opts))),
    'catalog artifact upgrade kits 5b1d6c1e-...',
  );

  // --- blobs
  const blob = examples(program.command('blob').description('upload and download blob bytes (streamed, checksummed, resumable)'), 'catalog blob upload images 5b1d6c1e-... image ./cirros.qcow2');
  examples(
    blob
      .command('upload <type> <id> <blob> <file>')
      .description('upload a file into a blob field (<field>, or <field>/<key> of a blob dict), with its md5 and sha256 for the node to check')
      .option('--content-type <type>', 'Content-Type to store with the bytes', 'application/octet-stream')
      .action(run(async (ctx, type: string, id: string, name: string, file: string, opts: { contentType?: string }) => (await import('./commands/blob.js')).upload(ctx, type, id, name, file, opts))),
    'catalog blob upload images 5b1d6c1e-... image ./cirros.qcow2',
    'catalog blob upload heat_templates 9f0e... nested_templates/net.yaml ./net.yaml',
  );
  examples(
    blob
      .command('download <type> <id> <blob>')
      .description('download a blob, verify its sha256 against the artifact record, resume an interrupted download')
      .option('-O, --output-file <path>', 'where to save it (- for stdout); default: the field or key name')
      .action(run(async (ctx, type: string, id: string, name: string, opts: { outputFile?: string }) => (await import('./commands/blob.js')).download(ctx, type, id, name, { output: opts.outputFile }))),
    'catalog blob download images 5b1d6c1e-... image -O cirros.qcow2',
  );
  examples(blob.command('delete <type> <id> <blob>').description('remove a blob (drafts only: once active, an artifact’s blobs never change)').action(run(async (ctx, type: string, id: string, name: string) => (await import('./commands/blob.js')).remove(ctx, type, id, name))), 'catalog blob delete heat_templates 9f0e... nested_templates/net.yaml');

  // --- search
  examples(
    program
      .command('search [terms...]')
      .description('full-text search over every type (or --type): words are matched as prefixes and ranked; field=[op:]value terms filter')
      .option('--type <type>', 'only this artifact type', 'all')
      .option('-t, --tag <tag>', 'has this tag (repeatable)', collect)
      .option('-s, --sort <keys>', 'sort keys (relevance, downloads, rating, name, ...); default: relevance')
      .option('-l, --limit <n>', 'page size')
      .option('-a, --all', 'follow every page')
      .action(run(async (ctx, terms: string[], opts: { type: string; tag?: string[]; sort?: string; limit?: string; all?: boolean }) => {
        const words = terms.filter((t) => !t.includes('='));
        const filters = terms.filter((t) => t.includes('='));
        await (await import('./commands/artifact.js')).list(ctx, opts.type, filters, opts, words.length > 0 ? [['q', words.join(' ')]] : []);
      })),
    'catalog search nginx web --sort rating:desc',
    'catalog search --type heat_templates network status=active version=latest',
  );

  // --- dependencies
  const deps = examples(program.command('deps').description('requirements, links and what depends on an artifact'), 'catalog deps tree murano_packages 5b1d6c1e-...');
  examples(
    deps
      .command('resolve [type] [id]')
      .description('resolve an artifact’s requirements and links (or --require lists) to one consistent set of versions')
      .option('-r, --require <type/name@range>', 'resolve these requirements instead of an artifact’s (repeatable)', collect)
      .action(run(async (ctx, type: string | undefined, id: string | undefined, opts: { require?: string[] }) => (await import('./commands/deps.js')).resolve(ctx, type, id, opts))),
    'catalog deps resolve murano_packages 5b1d6c1e-...',
    'catalog deps resolve -r murano_packages/io.murano.apps.Nginx@^1.2 -r images/cirros@~0.6',
  );
  examples(
    deps
      .command('tree <type> <id>')
      .description('the dependency graph as a tree: which range picked which version, and what could not be followed')
      .option('-d, --depth <n>', 'how many steps to follow (the node’s default otherwise)')
      .action(run(async (ctx, type: string, id: string, opts: { depth?: string }) => (await import('./commands/deps.js')).tree(ctx, type, id, opts))),
    'catalog deps tree murano_packages 5b1d6c1e-... --depth 3',
  );
  examples(deps.command('dependants <type> <id>').description('artifacts that link to it or whose requirements it satisfies').action(run(async (ctx, type: string, id: string) => (await import('./commands/deps.js')).dependants(ctx, type, id))), 'catalog deps dependants images 5b1d6c1e-...');

  // --- bundles
  const bundle = examples(program.command('bundle').description('export an artifact with its dependency closure as one tar, and import it elsewhere'), 'catalog bundle export murano_packages 5b1d6c1e-... -O app.tar');
  examples(
    bundle
      .command('export <type> <id>')
      .description('stream the artifact and everything it depends on into a tar file')
      .option('-O, --output-file <path>', 'where to save it (- for stdout); default <id>.tar')
      .action(run(async (ctx, type: string, id: string, opts: { outputFile?: string }) => (await import('./commands/bundle.js')).exportBundle(ctx, type, id, opts))),
    'catalog bundle export murano_packages 5b1d6c1e-... -O app.tar',
  );
  examples(
    bundle
      .command('import <file>')
      .description('import a bundle: all or nothing; artifacts already here are reused')
      .option('--keep-owner', 'keep the bundle’s owners instead of your project (admins)')
      .action(run(async (ctx, file: string, opts: { keepOwner?: boolean }) => (await import('./commands/bundle.js')).importBundle(ctx, file, opts))),
    'catalog --profile airgapped bundle import app.tar',
  );

  // --- signing
  const key = examples(program.command('key').description('developer key pairs: the private half stays here, the public half is registered'), 'catalog key gen --register');
  examples(
    key
      .command('gen')
      .description('make a key pair (kept in the config dir, mode 0600) and print its kid')
      .option('--alg <alg>', 'EdDSA (Ed25519) or ES256 (P-256)', 'EdDSA')
      .option('--name <name>', 'a name for people (e.g. "alice laptop")')
      .option('--register', 'register its public key with the node too')
      .action(run(async (ctx, opts: { alg?: string; name?: string; register?: boolean }) => (await import('./commands/signing.js')).gen(ctx, opts))),
    'catalog key gen --name "alice laptop" --register',
  );
  examples(
    key
      .command('register [kid]')
      .description('register a public key with the node for your project (a local key, or --jwk)')
      .option('--name <name>', 'a name for people')
      .option('--jwk <file>', 'a public JWK made elsewhere (- for stdin)')
      .action(run(async (ctx, kid: string | undefined, opts: { name?: string; jwk?: string }) => (await import('./commands/signing.js')).register(ctx, kid, opts))),
    'catalog key register NzbLsXh8',
  );
  examples(key.command('list').description('your project’s registered keys (admins: --project)').option('--project <project>', 'another project (admins)').action(run(async (ctx, opts: { project?: string }) => (await import('./commands/signing.js')).list(ctx, opts))), 'catalog key list');
  examples(
    key
      .command('revoke <kid>')
      .description('revoke a key: signatures made from then on no longer hold')
      .requiredOption('--reason <text>', 'why (kept with the key)')
      .option('--at <time>', 'ISO time from which it no longer counts (when it was compromised earlier)')
      .option('--project <project>', 'another project’s key (admins)')
      .action(run(async (ctx, kid: string, opts: { reason: string; at?: string; project?: string }) => (await import('./commands/signing.js')).revoke(ctx, kid, opts))),
    'catalog key revoke NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs --reason "laptop stolen" --at 2026-12-01T00:00:00Z',
  );
  examples(
    program
      .command('sign <type> <id>')
      .description('sign the artifact’s canonical manifest with a local key and attach the detached JWS')
      .option('-k, --key <kid>', 'which local key (needed when there are several)')
      .action(run(async (ctx, type: string, id: string, opts: { key?: string }) => (await import('./commands/signing.js')).sign(ctx, type, id, opts))),
    'catalog sign murano_packages 5b1d6c1e-... --key NzbLsXh8',
  );
  examples(
    program
      .command('verify <type> <id>')
      .description('who signed an artifact and whether each signature holds; exits 4 when none does')
      .action(run(async (ctx, type: string, id: string) => (await import('./commands/signing.js')).verify(ctx, type, id))),
    'catalog verify murano_packages 5b1d6c1e-... && echo trusted',
  );

  // --- community
  examples(
    program
      .command('rate <type> <id> [score]')
      .description('rate an artifact’s name 1 to 5 (replacing your earlier rating); without a score, show the rating')
      .option('--remove', 'take your rating back')
      .action(run(async (ctx, type: string, id: string, score: string | undefined, opts: { remove?: boolean }) => (await import('./commands/community.js')).rate(ctx, type, id, score, opts))),
    'catalog rate murano_packages 5b1d6c1e-... 5',
  );
  const comment = examples(program.command('comment').description('plain-text comments on an artifact’s name'), 'catalog comment add images 5b1d6c1e-... "Boots in 2 s on KVM"');
  examples(
    comment
      .command('list <type> <id>')
      .description('comments, oldest first')
      .option('-l, --limit <n>', 'page size')
      .option('--marker <id>', 'start after this comment')
      .action(run(async (ctx, type: string, id: string, opts: { limit?: string; marker?: string }) => (await import('./commands/community.js')).listComments(ctx, type, id, opts))),
    'catalog comment list images 5b1d6c1e-...',
  );
  examples(
    comment
      .command('add <type> <id> [text]')
      .description('comment on an active artifact')
      .option('-F, --file <file>', 'read the comment from a file (- for stdin)')
      .action(run(async (ctx, type: string, id: string, text: string | undefined, opts: { file?: string }) => (await import('./commands/community.js')).addComment(ctx, type, id, text, opts))),
    'catalog comment add images 5b1d6c1e-... "Works with Nova 2026.1"',
  );
  examples(
    comment
      .command('edit <type> <id> <comment-id> [text]')
      .description('change your comment')
      .option('-F, --file <file>', 'read the comment from a file (- for stdin)')
      .action(run(async (ctx, type: string, id: string, commentId: string, text: string | undefined, opts: { file?: string }) => (await import('./commands/community.js')).editComment(ctx, type, id, commentId, text, opts))),
    'catalog comment edit images 5b1d6c1e-... 9a8b... "Works with Nova 2026.2 too"',
  );
  examples(comment.command('delete <type> <id> <comment-id>').description('delete your comment').action(run(async (ctx, type: string, id: string, commentId: string) => (await import('./commands/community.js')).deleteComment(ctx, type, id, commentId))), 'catalog comment delete images 5b1d6c1e-... 9a8b...');
  examples(comment.command('hide <type> <id> <comment-id>').description('hide a comment from everyone but admins (admins)').action(run(async (ctx, type: string, id: string, commentId: string) => (await import('./commands/community.js')).hideComment(ctx, type, id, commentId, true))), 'catalog comment hide images 5b1d6c1e-... 9a8b...');
  examples(comment.command('unhide <type> <id> <comment-id>').description('show a hidden comment again (admins)').action(run(async (ctx, type: string, id: string, commentId: string) => (await import('./commands/community.js')).hideComment(ctx, type, id, commentId, false))), 'catalog comment unhide images 5b1d6c1e-... 9a8b...');
  examples(
    program
      .command('stats <type> <id>')
      .description('download statistics: all time, every version of the name, and per day')
      .option('--days <n>', 'how many days back (default 30)')
      .action(run(async (ctx, type: string, id: string, opts: { days?: string }) => (await import('./commands/community.js')).stats(ctx, type, id, opts))),
    'catalog stats images 5b1d6c1e-... --days 7',
  );

  // --- federation
  const federation = examples(program.command('federation').description('federated search and enrolment with upstream nodes'), 'catalog federation search nginx --type images');
  examples(
    federation
      .command('search [terms...]')
      .description('search this node and its upstreams: words (full text) and field=[op:]value filters; results say where each was found')
      .option('--type <type>', 'only this artifact type')
      .option('-s, --sort <keys>', 'sort keys')
      .option('-l, --limit <n>', 'page size per source')
      .option('--cursor <cursor>', 'the next page (from a previous answer)')
      .action(run(async (ctx, terms: string[], opts: { type?: string; limit?: string; cursor?: string; sort?: string }) => (await import('./commands/federation.js')).search(ctx, terms, opts))),
    'catalog federation search --type heat_templates name=wordpress',
  );
  examples(federation.command('upstreams').description('the upstreams this node is enrolled with (admins)').action(run(async (ctx) => (await import('./commands/federation.js')).peers(ctx, 'upstreams'))), 'catalog federation upstreams');
  examples(federation.command('children').description('the child nodes enrolled with this node (admins)').action(run(async (ctx) => (await import('./commands/federation.js')).peers(ctx, 'children'))), 'catalog federation children');
  examples(
    federation
      .command('token')
      .description('issue a one-time enrolment token for a child node (admins); shown once')
      .option('--permission <permission>', 'search, pull or submit (repeatable; default search and pull)', collect)
      .option('--project <project>', 'the project the child’s submissions land in and whose artifacts it sees')
      .option('--expires <seconds>', 'how long the token is good for')
      .option('--note <text>', 'a note for the admins')
      .action(run(async (ctx, opts: { permission?: string[]; project?: string; expires?: string; note?: string }) => (await import('./commands/federation.js')).token(ctx, opts))),
    'catalog --profile global federation token --permission search --permission pull --note "ACME mirror"',
  );
  examples(
    federation
      .command('enrol <upstream-url> <token>')
      .description('enrol this node with an upstream using the token its admin issued (admins)')
      .option('--fingerprint <thumbprint>', 'a key thumbprint the upstream must hold (pinned in advance)')
      .option('--timeout-ms <ms>', 'how long a search waits for this upstream')
      .action(run(async (ctx, url: string, t: string, opts: { fingerprint?: string; timeoutMs?: string }) => (await import('./commands/federation.js')).enrol(ctx, url, t, opts))),
    'catalog --profile leaf federation enrol https://global.example.org "$TOKEN"',
  );
  for (const action of ['suspend', 'resume'] as const) {
    examples(
      federation
        .command(`${action} <upstreams|children> <node>`)
        .description(action === 'suspend' ? 'stop trusting and asking a peer for now (admins)' : 'trust and ask a suspended peer again (admins)')
        .action(run(async (ctx, which: string, node: string) => (await import('./commands/federation.js')).setState(ctx, which, node, action))),
      `catalog federation ${action} upstreams 3f1c...`,
    );
  }
  examples(federation.command('remove <upstreams|children> <node>').description('forget a peer and its keys; it must enrol again (admins)').action(run(async (ctx, which: string, node: string) => (await import('./commands/federation.js')).remove(ctx, which, node))), 'catalog federation remove children 3f1c...');

  // --- shares
  const share = examples(program.command('share').description('share active private artifacts with other projects'), 'catalog share add images 5b1d6c1e-... partner-project');
  examples(share.command('list <type> <id>').description('projects the artifact is shared with').action(run(async (ctx, type: string, id: string) => (await import('./commands/share.js')).list(ctx, type, id))), 'catalog share list images 5b1d6c1e-...');
  examples(share.command('add <type> <id> <project>').description('share with a project').action(run(async (ctx, type: string, id: string, project: string) => (await import('./commands/share.js')).add(ctx, type, id, project))), 'catalog share add images 5b1d6c1e-... partner-project');
  examples(share.command('remove <type> <id> <project>').description('stop sharing with a project').action(run(async (ctx, type: string, id: string, project: string) => (await import('./commands/share.js')).remove(ctx, type, id, project))), 'catalog share remove images 5b1d6c1e-... partner-project');

  // --- quotas
  const quota = examples(program.command('quota').description('project quotas and their usage'), 'catalog quota show');
  examples(quota.command('show [project]').description('effective quotas and usage of your project (admins: any project)').action(run(async (ctx, project: string | undefined) => (await import('./commands/quota.js')).show(ctx, project))), 'catalog quota show');
  examples(quota.command('list').description('every project’s overrides and the node defaults (admins)').action(run(async (ctx) => (await import('./commands/quota.js')).list(ctx))), 'catalog quota list');
  examples(
    quota.command('set <project> <limits...>').description('replace a project’s overrides with quota=number (-1 is unlimited; admins)').action(run(async (ctx, project: string, limits: string[]) => (await import('./commands/quota.js')).set(ctx, project, limits))),
    'catalog quota set p1 max_artifact_number=100 max_uploaded_data:images=10737418240',
  );
  examples(quota.command('reset <project>').description('drop a project’s overrides: the node defaults apply (admins)').action(run(async (ctx, project: string) => (await import('./commands/quota.js')).reset(ctx, project))), 'catalog quota reset p1');

  // --- schemas
  const schema = examples(program.command('schema').description('artifact types and their fields'), 'catalog schema show images');
  examples(schema.command('list').description('the types this node serves').action(run(async (ctx) => (await import('./commands/schema.js')).list(ctx))), 'catalog schema list');
  examples(schema.command('show <type>').description('a type’s fields: kind, mutability, filter operators').action(run(async (ctx, type: string) => (await import('./commands/schema.js')).show(ctx, type))), 'catalog schema show images');

  // --- type versions and upgrades
  const type = examples(program.command('type').description('versions of an artifact type and upgrades between them'), 'catalog type upgrade images --dry-run');
  examples(type.command('versions <type>').description('the versions of a type this node serves, newest marked').action(run(async (ctx, t: string) => (await import('./commands/type.js')).versions(ctx, t))), 'catalog type versions images');
  examples(
    type
      .command('upgrade <type>')
      .description('carry every artifact of a type to its newest (or --to) version as a job on the node, following its progress (admins); exits 5 when some were left as they were')
      .option('--dry-run', 'only count what would change and what would be left, and why')
      .option('--to <version>', 'the type version to reach (default: the newest)')
      .option('--no-wait', 'print the run and return at once')
      .action(run(async (ctx, t: string, opts: { dryRun?: boolean; to?: string; wait?: boolean }) => (await import('./commands/type.js')).upgrade(ctx, t, opts))),
    'catalog type upgrade images --dry-run',
    'catalog type upgrade images --to 1.1',
  );
  examples(
    type
      .command('upgrade-status <type> <run-id>')
      .description('one upgrade run: progress, and what it left as it was and why')
      .option('--wait', 'follow the run until it ends')
      .action(run(async (ctx, t: string, id: string, opts: { wait?: boolean }) => (await import('./commands/type.js')).status(ctx, t, id, opts))),
    'catalog type upgrade-status images 0b6f3c2e-... --wait',
  );
  examples(type.command('upgrades <type>').description('recent upgrade runs of a type (admins)').action(run(async (ctx, t: string) => (await import('./commands/type.js')).runs(ctx, t))), 'catalog type upgrades images');

  // --- completion
  examples(
    program
      .command('completion <shell>')
      .description('print a completion script for bash or zsh')
      .action(async (shell: string) => {
        const { bashCompletion, zshCompletion } = await import('./completion.js');
        if (shell === 'bash') process.stdout.write(bashCompletion(program));
        else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
        else throw new CliError(`no completion for "${shell}": bash or zsh`, EXIT.usage);
      }),
    'source <(catalog completion bash)',
    'catalog completion zsh > "${fpath[1]}/_catalog"',
  );

  return program;
}

/** Runs `catalog` with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed the message (or the help) already.
      return err.exitCode === 0 ? 0 : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`catalog: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`catalog: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}
