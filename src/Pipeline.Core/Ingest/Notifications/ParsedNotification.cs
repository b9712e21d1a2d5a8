namespace Pipeline.Ingest.Notifications;

/// <summary>What a queue message asks for.</summary>
internal sealed record ParsedNotification(NotificationKind Kind, IReadOnlyList<NotificationObject> Objects, bool ViaSns, string? Problem)
{
    public static ParsedNotification Poison(string problem, bool viaSns = false) => new(NotificationKind.Poison, [], viaSns, problem);
}
