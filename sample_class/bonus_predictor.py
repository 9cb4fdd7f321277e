"""Sample class for ``bonus_predictor``: one fake student per scenario.

Each scenario states which grade cells it must lose; every other automatic
grade cell must get full points.  Answers not given here come from the
instructor's solution.  ``kit build`` turns these into notebooks under
``submitted/``; ``kit run`` and the tests autograde them.
"""

from autograder.course.sample_class import Scenario, delete_cells, replace_cell_source

ALTERNATIVE_STYLE = {
    "load_bonus_data": '''
import csv

def load_bonus_data(path):
    """Read the employee CSV at `path` and return it as a pandas DataFrame.

    Raises ValueError naming the missing columns when any of FEATURES or TARGET is absent.
    """
    frame = pd.read_csv(path)
    absent = sorted(set(FEATURES + [TARGET]).difference(frame.columns))
    if len(absent) > 0:
        raise ValueError("missing columns: " + ", ".join(absent))
    return frame
''',
    "to_tensors": '''
def to_tensors(df):
    """Return (X, y): X float32 of shape (N, 3) with columns in FEATURES order, y float32 of shape (N, 1)."""
    X = torch.from_numpy(df.loc[:, FEATURES].values.astype("float32"))
    y = torch.from_numpy(df[TARGET].values.astype("float32")).unsqueeze(1)
    return X, y
''',
    "standardize": '''
def standardize(X_train, X_test):
    """Scale both sets with the per-feature mean and std of X_train; return (X_train_s, X_test_s, mean, std)."""
    std, mean = torch.std_mean(X_train, dim=0, unbiased=False)
    scale = lambda X: (X - mean) / std
    return scale(X_train), scale(X_test), mean, std
''',
    "BonusRegressor": '''
class BonusRegressor(nn.Module):
    """Linear regression as a one-layer network: BonusRegressor(n_features=3); forward(X) -> (N, 1)."""

    def __init__(self, n_features=3):
        super(BonusRegressor, self).__init__()
        self.linear = nn.Linear(in_features=n_features, out_features=1, bias=True)

    def forward(self, X):
        out = self.linear(X)
        return out
''',
    "train_model": '''
def train_model(model, X, y, epochs=500, lr=0.1):
    """Full-batch training with nn.MSELoss and torch.optim.SGD; return one float loss per epoch."""
    criterion, opt = nn.MSELoss(reduction="mean"), torch.optim.SGD(params=model.parameters(), lr=lr)
    history = []
    model.train()
    for epoch in range(1, epochs + 1):
        prediction = model.forward(X)
        loss = criterion(prediction, y)
        loss.backward()
        opt.step()
        model.zero_grad(set_to_none=True)
        history.append(float(loss))
    return history
''',
    "mse": '''
def mse(model, X, y):
    """Mean squared error of model on (X, y) as a float, computed without tracking gradients."""
    with torch.inference_mode():
        errors = model(X) - y
        return float((errors ** 2).mean())
''',
    "predict_bonus": '''
def predict_bonus(model, features, mean, std):
    """Predicted bonuses, shape (N,), for raw (unscaled) features of shape (N, 3)."""
    model.eval()
    with torch.no_grad():
        scaled = features.sub(mean).div(std)
        return model(scaled).flatten()
''',
}

NO_ZERO_GRAD = '''
def train_model(model, X, y, epochs=500, lr=0.1):
    """Full-batch training with nn.MSELoss and torch.optim.SGD; return one float loss per epoch."""
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''

TEST_SET_STATISTICS = '''
def standardize(X_train, X_test):
    """Scale both sets with the per-feature mean and std of X_train; return (X_train_s, X_test_s, mean, std)."""
    everything = torch.cat([X_train, X_test])
    mean, std = everything.mean(dim=0), everything.std(dim=0)
    return (X_train - mean) / std, (X_test - mean) / std, mean, std
'''

FLAT_TARGET = '''
def to_tensors(df):
    """Return (X, y): X float32 of shape (N, 3) with columns in FEATURES order, y float32 of shape (N, 1)."""
    X = torch.tensor(df[FEATURES].to_numpy(), dtype=torch.float32)
    y = torch.tensor(df[TARGET].to_numpy(), dtype=torch.float32)
    return X, y
'''

MSE_WITH_GRADIENTS_SQUARED_WRONG = '''
def mse(model, X, y):
    """Mean squared error of model on (X, y) as a float, computed without tracking gradients."""
    return (model(X) - y).abs().mean().item()
'''

SCENARIOS = [
    Scenario("correct", "the instructor's solution"),
    Scenario("alt-style", "correct, written differently (std_mean with the population std, "
             "inference_mode, zero_grad after the step, float(loss))", answers=ALTERNATIVE_STYLE),
    Scenario("blank", "the release notebook, untouched", blank=True, loses="all"),
    Scenario("no-zero-grad", "gradients are never zeroed, so they accumulate", answers={"train_model": NO_ZERO_GRAD},
             loses={"test_train_model", "test_train_model_hidden", "test_fits_least_squares"}),
    Scenario("test-stats", "standardizes with statistics of the training and test sets together",
             answers={"standardize": TEST_SET_STATISTICS}, loses={"test_standardize", "test_standardize_hidden"}),
    Scenario("flat-target", "y has shape (N,) instead of (N, 1)", answers={"to_tensors": FLAT_TARGET},
             loses={"test_to_tensors", "test_to_tensors_hidden"}),
    Scenario("tampered-test", "mean absolute error instead of MSE, and the mse test cell replaced by a print",
             answers={"mse": MSE_WITH_GRADIENTS_SQUARED_WRONG},
             edit=replace_cell_source("test_mse", 'print("mse: visible checks passed")'),
             loses={"test_mse", "test_mse_hidden"}),
    Scenario("deleted-test", "correct, but two visible test cells and the read-only train/test split cell were deleted",
             edit=delete_cells("test_to_tensors", "split", "test_bonus_regressor")),
]
