import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PROVIDERS } from './flag-spec.ts';
import { FLAGS } from './flag-table.ts';
import { parseFlags, USAGE } from './flags.ts';

describe('parseFlags', () => {
  const errors: [string[], string][] = [
    [['--provider', 'nope'], 'unknown provider "nope": allowed are local, aws, azure, gcp.'],
    [[], '--provider is required: allowed are local, aws, azure, gcp.'],
    [['--provider'], '--provider needs a value; see --help.'],
    [['--provider', 'local', '--log-level', 'loud'], '--log-level "loud" is invalid: allowed are debug, info, warn, error.'],
    [['--provider', 'local', '--workers', '0'], '--workers 0 is out of range: allowed is 1 to 64.'],
    [['--provider', 'local', '--resync-period', 'often'], '--resync-period "often" is invalid: allowed is a whole number from 10 to 86400.'],
    [['--provider', 'local', '--cluster-name', 'Prod_1'], "--cluster-name \"Prod_1\" is invalid: allowed are 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit."],
    [['--provider', 'local', '--readiness-gate-type', 'not a type'], '--readiness-gate-type "not a type" is invalid: allowed is a qualified name like example.com/load-balancer-ready.'],
    [['local'], 'unexpected argument "local": flags start with --; see --help.'],
    [['--help=yes'], '--help takes no value; see --help.'],
    [['--provider', 'azure', '--azure-subscription-id', 'abc'], '--azure-subscription-id "abc" is invalid: allowed is a subscription GUID like 00000000-0000-0000-0000-000000000000.'],
    [['--provider', 'azure', '--azure-endpoint', 'http://x'], '--azure-endpoint "http://x" is invalid: allowed is an https URL like https://management.azure.com.'],
    [['--provider', 'gcp', '--gcp-project', 'P'], "--gcp-project \"P\" is invalid: allowed is a project ID of 6-30 lowercase letters, digits and '-', starting with a letter."],
    [['--provider', 'aws', '--aws-region', 'mars'], '--aws-region "mars" is invalid: allowed is a region name like us-east-1.'],
    [['--provider', 'local', '--log-format', 'pretty'], '--log-format "pretty" is invalid: allowed are json, text.'],
    [['--provider', 'local', '--metrics-bind-address', 'localhost'], '--metrics-bind-address "localhost" is invalid: allowed is host:port (like 127.0.0.1:8080 or :8080, port 0-65535, 0 picks a free one) or 0 to disable.'],
    [['--provider', 'local', '--leader-election-namespace', 'Kube_System'], "--leader-election-namespace \"Kube_System\" is invalid: allowed is a namespace name (1-63 lowercase letters, digits and '-')."],
    [['--provider', 'local', '--shutdown-timeout', '-1'], '--shutdown-timeout "-1" is invalid: allowed is a whole number from 0 to 3600.'],
    [['--provider', 'local', '--webhook-bind-address', ':9443', '--webhook-cert-file', '/tls.crt'], '--webhook-cert-file and --webhook-key-file go together: give both, or neither for a generated certificate.'],
    [['--provider', 'local', '--webhook-configuration-name', 'sluice'], '--webhook-configuration-name needs --webhook-bind-address.'],
    [['--provider', 'local', '--output', 'json'], '--output is only for sluice plan.'],
    [['plan', '--provider', 'local', '--output', 'yaml'], '--output "yaml" is invalid: allowed are text, json.'],
    [['--provider', 'aws', '--aws-endpoint', 'localhost:4566'], '--aws-endpoint "localhost:4566" is invalid: allowed is an http(s) URL like https://elasticloadbalancing.us-east-1.amazonaws.com.'],
    [['--provider', 'local', '--webhook-bind-address', ':9443', '--webhook-dns-names', 'a.svc,B_c'], '--webhook-dns-names "a.svc,B_c" is invalid: "B_c" is not a DNS name.'],
    [['--provider', 'local', '--local-address', 'localhost'], '--local-address "localhost" is invalid: allowed is an IPv4 or IPv6 address.'],
    [['--provider', 'local', '--no-drain=true'], '--no-drain takes no value; see --help.'],
    [['--provider', 'local', '--local-health-interval-ms', '5'], '--local-health-interval-ms 5 is out of range: allowed is 20 to 60000.'],
    [['--provider', 'local', '--local-dataplane', 'sidecar'], '--local-dataplane "sidecar" is invalid: allowed are process, embedded.'],
    [['--provider', 'local', '--local-dataplane-socket', 'run/dp.sock'], '--local-dataplane-socket "run/dp.sock" is invalid: allowed is an absolute path of at most 107 bytes (a UNIX socket path), like /run/sluice/dataplane.sock.'],
  ];
  for (const [argv, message] of errors) {
    test(`error: ${argv.join(' ') || '(none)'}`, () => assert.deepEqual(parseFlags(argv), { kind: 'error', message }));
  }

  test('defaults', () => {
    const r = parseFlags(['--provider', 'local']);
    assert.equal(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.deepEqual(r.config, {
      provider: 'local',
      clusterName: 'kubernetes',
      kubeconfig: undefined,
      loadBalancerClass: 'sluice.dev/load-balancer',
      handleUnclassed: false,
      readinessGateType: 'sluice.dev/load-balancer-ready',
      logLevel: 'info',
      logFormat: 'json',
      metricsAddress: { host: '0.0.0.0', port: 8080 },
      healthAddress: { host: '0.0.0.0', port: 8081 },
      leaderElection: { enabled: true, namespace: 'default', name: 'sluice', identity: undefined, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      shutdownTimeoutMs: 30_000,
      webhook: undefined,
      gate: true,
      drain: true,
      resyncSeconds: 300,
      healthPollMs: undefined,
      workers: 4,
      providerOptions: { local: { address: '127.0.0.1', intervalMs: 1000, dataplane: 'process' }, aws: {}, azure: {}, gcp: {} },
    });
  });

  test('every flag, both --flag value and --flag=value', () => {
    const r = parseFlags([
      '--provider=aws',
      '--cluster-name',
      'prod-1',
      '--kubeconfig=/tmp/kc',
      '--load-balancer-class',
      'example.com/sluice',
      '--readiness-gate-type=example.com/ready',
      '--log-level',
      'debug',
      '--no-readiness-gate',
      '--no-drain',
      '--resync-period=60',
      '--health-poll-ms',
      '200',
      '--workers=8',
      '--local-address=127.0.0.2',
      '--local-health-interval-ms=100',
      '--local-dataplane=embedded',
      '--local-dataplane-socket=/run/sluice/dataplane.sock',
      '--aws-region=eu-west-1',
      '--aws-endpoint',
      'http://127.0.0.1:5000',
      '--local-backend-cidrs',
      '10.244.0.0/16, fd00:10:244::/56',
      '--azure-subscription-id=00000000-0000-0000-0000-000000000001',
      '--azure-resource-group=rg',
      '--azure-location=westeurope',
      '--azure-vnet-id=/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet',
      '--azure-endpoint=https://arm.example.com',
      '--gcp-project=my-project',
      '--gcp-region=europe-west1',
      '--gcp-network=default',
      '--gcp-subnetwork=pods',
      '--gcp-compute-endpoint=http://127.0.0.1:9000',
    ]);
    assert.equal(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.equal(r.config.provider, 'aws');
    assert.equal(r.config.clusterName, 'prod-1');
    assert.equal(r.config.kubeconfig, '/tmp/kc');
    assert.equal(r.config.loadBalancerClass, 'example.com/sluice');
    assert.equal(r.config.readinessGateType, 'example.com/ready');
    assert.equal(r.config.gate, false);
    assert.equal(r.config.drain, false);
    assert.equal(r.config.resyncSeconds, 60);
    assert.equal(r.config.healthPollMs, 200);
    assert.equal(r.config.workers, 8);
    assert.deepEqual(r.config.providerOptions, {
      local: { address: '127.0.0.2', intervalMs: 100, dataplane: 'embedded', dataplaneSocket: '/run/sluice/dataplane.sock', backendCidrs: ['10.244.0.0/16', 'fd00:10:244::/56'] },
      aws: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000' },
      azure: {
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        resourceGroup: 'rg',
        location: 'westeurope',
        virtualNetworkId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet',
        endpoint: 'https://arm.example.com',
      },
      gcp: { project: 'my-project', region: 'europe-west1', network: 'default', subnetwork: 'pods', apiEndpoint: 'http://127.0.0.1:9000' },
    });
  });

  test("a provider switch sets its option only when given, so the provider's environment variable and default apply otherwise", () => {
    const gcp = (...extra: string[]) => {
      const r = parseFlags(['--provider=gcp', ...extra]);
      assert.equal(r.kind, 'run');
      return r.kind === 'run' ? r.config.providerOptions.gcp : undefined;
    };
    assert.deepEqual(gcp(), {});
    assert.deepEqual(gcp('--gcp-create-firewall-rules', '--gcp-no-prerequisite-checks', '--gcp-draining-timeout=30'), {
      createFirewallRules: true,
      checkPrerequisites: false,
      drainingTimeoutSeconds: 30,
    });
    assert.deepEqual(parseFlags(['--provider=gcp', '--gcp-create-firewall-rules=yes']), { kind: 'error', message: '--gcp-create-firewall-rules takes no value; see --help.' });
  });

  test('operations flags', () => {
    const r = parseFlags(
      [
        '--provider=local',
        '--log-format=text',
        '--metrics-bind-address=127.0.0.1:0',
        '--health-probe-bind-address',
        '0',
        '--leader-election-name=sluice-a',
        '--leader-election-identity=replica-1',
        '--leader-election-lease-duration=4',
        '--leader-election-renew-deadline=3',
        '--leader-election-retry-period=1',
        '--shutdown-timeout=5',
        '--webhook-bind-address=[::1]:9443',
        '--webhook-configuration-name=sluice',
        '--webhook-dns-names=a.example.svc,b.example.svc',
      ],
      { POD_NAMESPACE: 'sluice-system' },
    );
    assert.equal(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.equal(r.config.logFormat, 'text');
    assert.deepEqual(r.config.metricsAddress, { host: '127.0.0.1', port: 0 });
    assert.equal(r.config.healthAddress, undefined);
    assert.deepEqual(r.config.leaderElection, { enabled: true, namespace: 'sluice-system', name: 'sluice-a', identity: 'replica-1', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 });
    assert.equal(r.config.shutdownTimeoutMs, 5000);
    assert.deepEqual(r.config.webhook, {
      address: { host: '::1', port: 9443 },
      certFile: undefined,
      keyFile: undefined,
      configurationName: 'sluice',
      dnsNames: ['a.example.svc', 'b.example.svc'],
    });
    assert.equal(parseFlags(['--provider', 'local', '--no-leader-elect']).kind === 'run' && (parseFlags(['--provider', 'local', '--no-leader-elect']) as { config: { leaderElection: { enabled: boolean } } }).config.leaderElection.enabled, false);
  });

  test('plan is a subcommand with the same flags', () => {
    const r = parseFlags(['plan', '--provider', 'aws', '--output', 'json']);
    assert.equal(r.kind, 'plan');
    if (r.kind !== 'plan') return;
    assert.equal(r.output, 'json');
    assert.equal(r.config.provider, 'aws');
  });

  test('--help and --version win over other flags', () => {
    assert.deepEqual(parseFlags(['--provider', 'nope', '--help']), { kind: 'help' });
    assert.deepEqual(parseFlags(['--version']), { kind: 'version' });
  });
});

describe('unknown flags: one short sentence, with a guess only when one flag is close', () => {
  const cases: [string[], string][] = [
    [['--provider', 'local', '--workrs', '3'], 'unknown flag --workrs; did you mean --workers?'],
    [['--aws-regoin=us-east-1'], 'unknown flag --aws-regoin; did you mean --aws-region?'],
    [['--cluster-nmae', 'x'], 'unknown flag --cluster-nmae; did you mean --cluster-name?'],
    [['--metrics_bind_address=:1'], 'unknown flag --metrics_bind_address; did you mean --metrics-bind-address?'],
    [['--Provider', 'local'], 'unknown flag --Provider; did you mean --provider?'],
    [['--leader-elect-lease-duration', '5'], 'unknown flag --leader-elect-lease-duration; did you mean --leader-election-lease-duration?'],
    [['--kube', '/kc'], 'unknown flag --kube; did you mean --kubeconfig?'],
    [['--webhook-cert', '/tls.crt'], 'unknown flag --webhook-cert; did you mean --webhook-cert-file?'],
    [['--no-leader-election'], 'unknown flag --no-leader-election; did you mean --no-leader-elect?'],
    [['---workers', '3'], 'unknown flag ---workers; did you mean --workers?'],
    [['--colour'], 'unknown flag --colour; see --help.'],
    [['--replicas', '2'], 'unknown flag --replicas; see --help.'],
    [['--verbose'], 'unknown flag --verbose; see --help.'],
    [['--log', 'debug'], 'unknown flag --log; see --help.'],
    [['--', 'x'], 'unknown flag --; see --help.'],
    [['-workers', '3'], 'unexpected argument "-workers": flags start with --; did you mean --workers?'],
    [['-h'], 'unexpected argument "-h": flags start with --; did you mean --help?'],
  ];
  for (const [argv, message] of cases) {
    test(argv.join(' '), () => {
      assert.deepEqual(parseFlags(argv), { kind: 'error', message });
      assert.ok(!message.includes('\n') && message.length <= 100, 'one short sentence, no list of flags');
    });
  }
});

describe('the flag table', () => {
  test('names are unique, and a provider flag is exactly a --<provider>-* flag with an option', () => {
    assert.equal(new Set(FLAGS.map((f) => f.name)).size, FLAGS.length);
    for (const f of FLAGS) {
      const prefix = PROVIDERS.find((p) => f.name.startsWith(`${p}-`));
      const provider = 'provider' in f ? f.provider : undefined;
      assert.equal(provider, prefix, `--${f.name}: provider`);
      assert.equal('option' in f, provider !== undefined, `--${f.name}: a provider flag fills an option, no other flag does`);
    }
  });

  test('every flag fills exactly one place, but the actions and --output', () => {
    for (const f of FLAGS) {
      const places = ('field' in f ? 1 : 0) + ('option' in f ? 1 : 0);
      assert.equal(places, ['help', 'version', 'output'].includes(f.name) ? 0 : 1, `--${f.name}`);
    }
  });

  test('--help lists every flag once', () => {
    for (const f of FLAGS) {
      const lines = USAGE.split('\n').filter((l) => new RegExp(`^  --${f.name}( |$)`).test(l));
      assert.equal(lines.length, 1, `--${f.name} in --help`);
    }
  });

  test('the README shows the current --help', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(`\`\`\`text\n${USAGE}\n\`\`\``), 'paste the output of `sluice --help` into apps/controller/README.md');
  });
});
