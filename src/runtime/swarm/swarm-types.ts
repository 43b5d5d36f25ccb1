/** The parts of Swarm's API objects berth reads (dockerode types these as `any`). */

export interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  CreatedAt?: string;
  Version?: { Index: number };
  DesiredState: string;
  Status: {
    Timestamp?: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

export interface RawService {
  ID: string;
  CreatedAt?: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number } };
    TaskTemplate: {
      ContainerSpec?: { Image?: string; Mounts?: Array<{ Type?: string; Source?: string; Target?: string }> };
      ForceUpdate?: number;
      Placement?: { Constraints?: string[] };
    } & Record<string, unknown>;
    EndpointSpec?: { Ports?: Array<{ TargetPort?: number; PublishedPort?: number; PublishMode?: string }> };
  } & Record<string, unknown>;
}

export interface RawNode {
  ID: string;
  Version: { Index: number };
  CreatedAt?: string;
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string } & Record<string, unknown>;
  Description?: {
    Hostname?: string;
    Platform?: { OS?: string; Architecture?: string };
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string; Labels?: Record<string, string> };
  };
  Status?: { State?: string; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}
