namespace Pipeline.Generation;

/// <summary>
/// One record copy to write, kept small (no strings) so a whole day of a region fits in memory cheaply.
/// Record details are re-derived from <see cref="Detail"/> at write time, which is what makes the two copies of a
/// cross-account call and the duplicate copies identical apart from the fields that must differ.
/// </summary>
internal struct PlannedEvent
{
    /// <summary>eventTime in UTC ticks.</summary>
    public long Ticks;

    /// <summary>Delivery slot (5-minute period) of the delivery day.</summary>
    public int Slot;

    /// <summary>Sequence number within the work item; tie-breaker so sorting is deterministic.</summary>
    public int Sequence;

    /// <summary>Index of the account whose trail receives this copy (recipientAccountId).</summary>
    public short Recipient;

    public bool IsKms;

    /// <summary>A <see cref="KmsOperation"/> for KMS records, else an index into the background catalogue.</summary>
    public byte Operation;

    public int Principal;

    /// <summary>Index into the principal's keys for the region; -1 when the call names no key.</summary>
    public short Key;

    /// <summary>Per-call seed for the record's details (session, IPs, context, request ids).</summary>
    public ulong Detail;

    public Guid EventId;

    /// <summary>Set when the call is delivered to several accounts; <see cref="Guid.Empty"/> otherwise.</summary>
    public Guid SharedEventId;

    /// <summary>The second copy of a CloudTrail duplicate (same eventID); not counted as a distinct event.</summary>
    public bool IsDuplicateCopy;

    /// <summary>How errorCode is chosen; scripted scenario traffic fixes it so the answer key can count exactly.</summary>
    public ErrorMode Error;

    /// <summary>1-based index of the <see cref="ScenarioStream"/> that planned this call (its key and body); 0 for random traffic.</summary>
    public short Stream;
}
