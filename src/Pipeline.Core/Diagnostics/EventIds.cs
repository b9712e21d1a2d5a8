namespace Pipeline.Diagnostics;

/// <summary>Event-id ranges of the structured log catalogue, one range per stage, so a log line's stage is known from its id.</summary>
internal static class EventIds
{
    public const int Ingest = 1000;
    public const int Parsing = 2000;
    public const int Sink = 3000;
    public const int Query = 4000;
    public const int Generation = 5000;
    public const int Worker = 6000;
    public const int Analysis = 7000;
    public const int Reporting = 8000;
}
