import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ImportToVolumeOptions } from '../runtime-driver.js';
import { engineError } from './docker-connection.js';

/** GET /containers/{id}/archive: works on running, paused and stopped containers alike. */
export async function exportPath(docker: Docker, host: string, id: string, path: string): Promise<Readable> {
  try {
    return (await docker.getContainer(id).getArchive({ path })) as unknown as Readable;
  } catch (error) {
    throw engineError(error, host, 'container');
  }
}

/**
 * Makes a holder container that is never started (so no command, user or network matters)
 * with the volume mounted, then PUT /containers/{id}/archive extracts the tar into it. The
 * volume is made by the mount itself, with its labels, so it is in use from the instant it
 * exists. Owners and modes come from the tar headers (copyUIDGID is off: the engine keeps
 * them). On failure the holder is removed; the volume is left to the caller.
 */
export async function importToVolume(docker: Docker, host: string, o: ImportToVolumeOptions): Promise<string> {
  let holder: Docker.Container | undefined;
  try {
    // NoCopy: the volume starts empty (not seeded from the image's /workspace), so it ends equal to the tar.
    const volumeOptions = { NoCopy: true, Labels: o.volumeLabels } as unknown as NonNullable<Docker.MountSettings['VolumeOptions']>;
    holder = await docker.createContainer({
      name: o.holderName,
      Image: o.image,
      Labels: o.holderLabels,
      // Never started; an entrypoint-less image still needs something to create from.
      Cmd: ['/nonexistent-never-run'],
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: 'none',
        Mounts: [{ Type: 'volume', Source: o.volume, Target: o.target, ReadOnly: false, VolumeOptions: volumeOptions }],
      },
    });
    const made: Docker.Container = holder;
    await made.putArchive(o.tar as unknown as NodeJS.ReadableStream, { path: '/', noOverwriteDirNonDir: 'true' });
    return made.id;
  } catch (error) {
    if (holder) await holder.remove({ force: true, v: false }).catch(() => undefined);
    throw engineError(error, host, 'container');
  }
}
