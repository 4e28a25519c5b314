/**
 * Loads the chosen provider package by dynamic import, so a cluster on AWS never loads the
 * Azure SDK. Each provider package is an optional dependency of the app; a missing one is
 * reported in one sentence naming the package to install.
 */
import { isTerminalError, type LoadBalancer, type Logger, TerminalError } from '@sluice/core';
import { FLAGS } from './flag-table.ts';
import type { RunConfig } from './flags.ts';

export class ProviderLoadError extends Error {
  override name = 'ProviderLoadError';
}

async function importPackage<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(name)) {
      throw new ProviderLoadError(`provider package ${name} is not installed: run npm install ${name}.`, { cause: error });
    }
    throw error;
  }
}

/**
 * The flag options G, as a factory taking options A sees them: an option A lacks becomes
 * `never`, so `options satisfies FactoryOptions<...>` fails to compile when flag-table.ts
 * names an option the factory does not take, or gives it a value of the wrong type.
 */
type FactoryOptions<G, A> = { readonly [K in keyof G]: K extends keyof A ? A[K] : never };
type OptionsOf<F extends (options: never) => unknown> = NonNullable<Parameters<F>[0]>;

/**
 * Creates the configured provider. Its options are the ones its flags set (flag-table.ts
 * says which flag fills which option), plus the cluster name and the logger.
 */
export async function loadProvider(config: RunConfig, log: Logger): Promise<LoadBalancer> {
  try {
    return await createProvider(config, log);
  } catch (error) {
    throw namingTheFlag(error, config.provider);
  }
}

/**
 * A provider refuses a bad option naming its option (`backendCidrs[1]`); the user typed a flag.
 * The message is prefixed with the flag that set the option, so the sentence names what to fix.
 */
function namingTheFlag(error: unknown, provider: RunConfig['provider']): unknown {
  if (!isTerminalError(error) || !error.field) return error;
  const field = error.field;
  const flag = FLAGS.find((f) => 'provider' in f && f.provider === provider && 'option' in f && (field === f.option || field.startsWith(`${f.option}[`) || field.startsWith(`${f.option}.`)));
  if (!flag) return error;
  return new TerminalError(`--${flag.name}: ${error.message}`, { cause: error, field: `--${flag.name}`, reason: error.reason });
}

async function createProvider(config: RunConfig, log: Logger): Promise<LoadBalancer> {
  const options = config.providerOptions;
  switch (config.provider) {
    case 'local': {
      const m = await importPackage('@sluice/provider-local', () => import('@sluice/provider-local'));
      return m.createLocalProvider({ ...(options.local satisfies FactoryOptions<typeof options.local, OptionsOf<typeof m.createLocalProvider>>), log });
    }
    case 'aws': {
      const m = await importPackage('@sluice/provider-aws', () => import('@sluice/provider-aws'));
      return m.createAwsProvider({
        ...(options.aws satisfies FactoryOptions<typeof options.aws, OptionsOf<typeof m.createAwsProvider>>),
        clusterName: config.clusterName,
        log,
      });
    }
    case 'azure': {
      const m = await importPackage('@sluice/provider-azure', () => import('@sluice/provider-azure'));
      return m.createAzureProvider({
        ...(options.azure satisfies FactoryOptions<typeof options.azure, OptionsOf<typeof m.createAzureProvider>>),
        clusterName: config.clusterName,
        log,
      });
    }
    case 'gcp': {
      const m = await importPackage('@sluice/provider-gcp', () => import('@sluice/provider-gcp'));
      return m.createGcpProvider({
        ...(options.gcp satisfies FactoryOptions<typeof options.gcp, OptionsOf<typeof m.createGcpProvider>>),
        clusterName: config.clusterName,
        log,
      });
    }
  }
}
