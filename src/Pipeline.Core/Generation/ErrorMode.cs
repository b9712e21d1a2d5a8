namespace Pipeline.Generation;

/// <summary>How the record writer decides a KMS record's errorCode.</summary>
internal enum ErrorMode : byte
{
    /// <summary>The record's own random stream decides (the default background; keeps old output byte-identical).</summary>
    Random,

    /// <summary>The call succeeds: scripted traffic whose counts the answer key states exactly.</summary>
    None,

    /// <summary>The call fails with AccessDenied.</summary>
    AccessDenied,

    /// <summary>The call fails because its key is pending deletion (KMSInvalidStateException).</summary>
    PendingDeletion,
}
