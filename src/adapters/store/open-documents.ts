/**
 * The document store a deployment's settings name: the folder (DOCUMENTS_DIR, the default) or an S3
 * bucket (DOCUMENTS_URL). The AWS SDK takes ~0.7 s to load, so it is loaded on the bucket store's
 * first use, and never by a deployment that keeps its documents in a folder.
 */
import type { Readable } from "node:stream";
import { beforeReading, documentName, documentNameIn, type DocumentStore, type StoredDocument } from "./document-store.js";
import { FolderDocumentStore } from "./documents.js";
import type { S3DocumentStore, S3Location } from "./s3-documents.js";

export type DocumentsSetting = { kind: "folder"; dir: string | undefined } | ({ kind: "s3"; pathStyle: boolean } & S3Location);

export function openDocumentStore(target: DocumentsSetting): DocumentStore {
  return target.kind === "folder" ? new FolderDocumentStore(target.dir) : new LazyS3DocumentStore(target);
}

class LazyS3DocumentStore implements DocumentStore {
  readonly location: string;
  private loaded: Promise<S3DocumentStore> | undefined;

  constructor(private readonly target: { pathStyle: boolean } & S3Location) {
    this.location = `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ""}`;
  }

  /** The real store, the first time it is needed. */
  real(): Promise<S3DocumentStore> {
    return (this.loaded ??= import("./s3-documents.js").then(({ S3DocumentStore, s3Client }) => new S3DocumentStore({ bucket: this.target.bucket, prefix: this.target.prefix }, s3Client({ pathStyle: this.target.pathStyle }))));
  }

  relativePath(bdns: string, documentId: string, originalName: string | null): string {
    return documentName(bdns, documentId, originalName);
  }

  relativePathIn(folders: readonly string[], documentId: string, originalName: string | null): string {
    return documentNameIn(folders, documentId, originalName);
  }

  async store(name: string, body: Readable, expectedSize: number | null | undefined): Promise<StoredDocument> {
    let real: S3DocumentStore | undefined;
    // Loading the SDK must not leave the body without a listener (see beforeReading).
    await beforeReading(body, async () => void (real = await this.real()));
    return real!.store(name, body, expectedSize);
  }

  async inspect(storedPath: string) {
    return (await this.real()).inspect(storedPath);
  }

  async stat(storedPath: string) {
    return (await this.real()).stat(storedPath);
  }
}
