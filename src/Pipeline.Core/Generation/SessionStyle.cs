namespace Pipeline.Generation;

/// <summary>How an assumed-role principal names its sessions; the reason per-session ARNs must be normalised.</summary>
internal enum SessionStyle
{
    /// <summary>Not an assumed role.</summary>
    None,

    /// <summary>Lambda: session name is the function name.</summary>
    FunctionName,

    /// <summary>EC2 instance profile: session name is the instance id.</summary>
    InstanceId,

    /// <summary>Humans through SSO: e-mail-like session names.</summary>
    Email,

    /// <summary>ECS tasks, SDK defaults: a fresh random name per session.</summary>
    Random,
}
