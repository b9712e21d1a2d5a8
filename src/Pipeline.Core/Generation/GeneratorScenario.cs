namespace Pipeline.Generation;

/// <summary>What the generator plants on top of the random organization.</summary>
internal enum GeneratorScenario
{
    /// <summary>Random background only (management calls, errors and all), as before scenarios existed.</summary>
    None,

    /// <summary>
    /// A quiet background plus one planted incident per finding kind and a set of decoys on the last day, with an
    /// answer key (scenario.json) so the daily report can be scored.
    /// </summary>
    Anomalies,
}
